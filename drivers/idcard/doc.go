// Package idcard reads Vietnamese chip ID cards (CCCD, and the "Căn cước"
// issued since 1 July 2024) from the two things a kiosk reader can see: the
// QR code on the front and the machine-readable zone (MRZ) on the back.
//
// ParseQR and ParseMRZ turn one payload into a Card, verify its structure
// and check digits, and cross-check the fields against each other; Parse
// picks the right one. Reader turns a byte stream from a QR scanner in
// serial mode or from an MRZ reader into a stream of Events.
//
// References:
//   - ICAO Doc 9303, 8th edition, Part 3 (check digits, character set),
//     Part 4 (TD3, passports) and Part 5 (TD1, ID cards):
//     https://www.icao.int/publications/pages/publication.aspx?docnum=9303
//   - Thông tư 59/2021/TT-BCA (personal number PPP G YY RRRRRR, province
//     codes) and Thông tư 07/2016/TT-BCA, Điều 7 (the same codes).
//   - Luật Căn cước công dân 2014, Điều 21, and Luật Căn cước 2023, Điều 21
//     (a card is renewed at 25, 40 and 60; one issued in the two years before
//     such an age stays valid until the next one; from 60 it does not expire).
//
// Personal data: a Card holds a CCCD number, which is personal data under
// Decree 13/2023/ND-CP. Nothing in this package logs it; errors and Problems
// never repeat the number itself.
package idcard
