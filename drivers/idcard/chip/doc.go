// Package chip reads a CCCD's chip (ICAO Doc 9303 eMRTD) into an
// idcard.Card: emrtd reads it with the access key an optical read of the
// same card gives (KeyFromCard), lds parses its data groups (DG13, the
// Vietnamese one, for the name with diacritics and the residence; DG1 for
// the MRZ; DG2 for the face) and checks them against the document
// security object (passive authentication: genuine, data altered, unknown
// issuer or not checked). CrossCheck compares the chip with the optical
// read, as the card's sides are compared with each other.
//
// Personal data: a Result holds the holder's data and face. Nothing here
// logs them; Problems and errors never repeat them.
package chip
