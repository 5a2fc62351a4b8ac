// Package escpos prints queue tickets on ESC/POS thermal printers (Epson
// TM-T20/TM-T82/TM-T88 and the common 58 and 80 mm clones from Xprinter,
// Zjiang, Rongta, HPRT) and reads their real-time status.
//
// A Printer takes an io.Writer (and an io.Reader for status replies), never
// a device path: open the port with drivers/port. EncodeTicket produces the
// bytes of one ticket for a Profile; Printer.PrintTicket checks the status
// first and refuses a ticket the printer cannot print, with a reason in plain
// Vietnamese.
//
// Vietnamese text. The number and the QR code always use the printer's own
// font and QR command (GS ( k); each line of Vietnamese text follows the
// profile:
//   - TextRaster (the safe default): lines with diacritics are drawn with the
//     embedded DejaVu Sans font and sent as raster images (GS v 0, MSB is the
//     leftmost dot); lines in plain ASCII still go as text, and so does an
//     ASCII value after a label (the time, a phone number), so raster is
//     kept to what the printer's font cannot print. Each line is cropped to
//     its ink both ways, the blank rows fed with ESC J; large lines (the
//     centre's name, the service) are drawn at half size and printed at
//     GS v 0 m=3.
//   - TextCP1258: Windows-1258 code page (ESC t 52 on Epson TM-T20II/III,
//     TM-T88V, TM-m30III; 27 or 94 on Zjiang; 35 on Rongta). CP1258 holds the
//     base vowels with circumflex, breve and horn and five separate tone
//     marks, so EncodeCP1258 decomposes, recomposes only the vowel marks and
//     keeps the tone mark apart: "Đà Nẵng" → d0 61 cc 20 4e e3 de 6e 67.
//     golang.org/x/text's charmap encoder refuses both the precomposed and
//     the fully decomposed forms, which is why this package has its own.
//   - TextTCVN3: TCVN 5712:1993 (VN3), ESC t 30 for lower case and ESC t 31
//     for the upper-case font (Epson). A line whose capitals carry tones is
//     printed with page 31 when the whole line is in capitals.
//   - TextASCII: diacritics removed ("Đà Nẵng" → "Da Nang"), the last resort.
//
// A character a code page lacks is never printed as "?": the line falls back
// to raster when the profile allows it, to ASCII otherwise.
//
// Status: DLE EOT n (n = 1 printer, 2 offline cause, 3 error cause, 4 roll
// paper sensor); each reply is one byte shaped 0xx1xx10.
//
// References:
//   - Epson ESC/POS Command Reference for TM printers (GS v 0, GS ( k,
//     DLE EOT, ESC t code page table): https://download4.epson.biz/sec_pubs/pos/reference_en/escpos/
//   - Microsoft, Windows-1258 code page: https://learn.microsoft.com/en-us/windows/win32/intl/code-page-identifiers
//   - TCVN 5712:1993, Vietnamese character set for information interchange.
//
// Errata and traps noted from datasheets: real-time commands (DLE EOT, DLE
// ENQ, DLE DC4) are recognised by Epson firmware even inside raster data, so
// the raster encoder never emits 0x10 followed by 0x04, 0x05 or 0x14 (it
// drops one dot instead); clone printers cap GS v 0 height, so raster lines
// are sent one text line at a time; ESC a justification applies to raster
// images (HPRT, Citizen and Epson manuals), so raster lines are sent
// cropped to their ink and centred by the printer instead of padded.
package escpos
