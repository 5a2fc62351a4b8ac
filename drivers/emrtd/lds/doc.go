// Package lds reads and writes the files of an eMRTD chip's logical data
// structure (ICAO Doc 9303 Parts 10 and 11), as the Vietnamese CCCD carries
// them, and performs passive authentication.
//
// Parsers take a file as read from the chip (tag included) and never panic
// on hostile input (each is fuzzed): ParseCOM, ParseDG1 (the MRZ), ParseDG2
// (the face, JPEG or JPEG 2000, from an ISO/IEC 19794-5 record), ParseDG13
// (Vietnam's data group), ParseDG14 and ParseCardAccess (SecurityInfos:
// PACE, chip authentication and its public keys), ParseDG15 (the active
// authentication key) and ParseSOD (the document security object).
// Verify checks the data groups against EF.SOD, EF.SOD's CMS signature and
// the document signer's chain to a configured CSCA (LoadCSCAs). The
// builders (BuildCOM, BuildDG1, BuildDG2, BuildDG13, BuildDG15,
// BuildCardAccess, BuildSOD, NewPKI) make the same files for the chip
// simulator and the tests.
//
// # DG13
//
// Vietnam's DG13 is not in Doc 9303 (DG13 is "optional details", left to
// the issuing state) and the Ministry of Public Security (C06) has not
// published its layout. Readers in the open agree on it: tag 6D around a
// sequence of SEQUENCE { INTEGER field number, UTF8String value(s) }:
//
//	 1 IDNumber     số định danh cá nhân (12 digits)
//	 2 Name         họ, chữ đệm và tên (with diacritics)
//	 3 BirthDate    ngày sinh, DD/MM/YYYY
//	 4 Sex          giới tính, "Nam" / "Nữ"
//	 5 Nationality  quốc tịch ("Việt Nam")
//	 6 Ethnicity    dân tộc
//	 7 Religion     tôn giáo
//	 8 Origin       quê quán
//	 9 Residence    nơi thường trú
//	10 Marks        đặc điểm nhận dạng
//	11 IssueDate    ngày cấp, DD/MM/YYYY
//	12 ExpiryDate   có giá trị đến, DD/MM/YYYY
//	13 Father, Mother  họ tên cha, họ tên mẹ: two strings, nested
//	14 Spouse       vợ/chồng (one source only)
//	15 OldIDNumber  số CMND cũ
//
// Sources (open-source readers, read in December 2026):
//   - github.com/nguyenddat/ript-virtual-recep,
//     server/app/services/ExtractCCCD.py (Python, PC/SC reader): the byte
//     pattern 30 LL 02 01 NN 0C LL value and fields 1–13 (13 "parents'
//     names");
//   - the "VN-CCCD-2024" ICAO document profile of a TypeScript DID/ZKP SDK
//     (@1matrix/zkp-provider): root 6D, container 30, fields 1–13 with 13
//     holding the father's name then the mother's; its test factory builds
//     the same 30 { 02 01 NN, 0C value } pattern; its Merkle field map gives
//     14 spouse, 15 oldIdNumber, 16 personalIdCode (its profile comment says
//     16 for the old number: the one disagreement, 16 is kept in Fields);
//   - a TypeScript reader for HN212-type serial chip readers (protocol.ts,
//     parseDg13): fields 1–15 in the order above, 13 father then mother,
//     15 the old ID number.
//
// Fields 1–13 agree in all three; 15 in two. ParseDG13 reads any SEQUENCE
// starting with an INTEGER as a field (wherever it is nested), takes every
// string under it (UTF8String, PrintableString, IA5String, OCTET STRING)
// as its values, normalised to NFC, and keeps every field, unknown numbers
// included, in DG13.Fields. BuildDG13 writes the layout above.
//
// # Passive authentication
//
// Verify proves that the data groups read are those the document signer
// signed and (with the state's CSCA configured) that the signer belongs to
// the issuing state. It does not prove that the chip is the one the state
// issued: a chip's files can be copied whole onto another chip, signature
// included. Active authentication (DG15, emrtd.ActiveAuth) or chip
// authentication (DG14) answers that.
//
// References:
//   - ICAO Doc 9303, 8th edition, Part 10 (LDS: tags, EF.COM, DG1, DG2,
//     DG14, DG15, EF.SOD's LDSSecurityObject), Part 11 (§5.1 passive
//     authentication, §9.2 SecurityInfos, PACEInfo), Part 12 (PKI, master
//     lists): https://www.icao.int/publications/pages/publication.aspx?docnum=9303
//   - RFC 5652 (CMS SignedData), RFC 4055 (RSASSA-PSS parameters), BSI
//     TR-03110 (object identifiers), BSI TR-03111 (plain ECDSA signatures).
//   - ISO/IEC 19794-5:2005 (facial record header layout).
//
// Personal data: DG1, DG2 and DG13 hold personal data. Nothing here logs;
// errors and Verification.Problems name data groups and certificates,
// never their contents.
package lds
