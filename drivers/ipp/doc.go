// Package ipp is a minimal IPP/1.1 client for the kiosk's A4 printer:
// Get-Printer-Attributes, Print-Job and Get-Job-Attributes over HTTP, as
// any IPP Everywhere printer or CUPS queue answers them.
//
// Written from RFC 8010 (the message encoding: version, operation or
// status code, request id, attribute groups of tag–name–value triples,
// collections as begCollection/memberAttrName/endCollection runs, then
// the document data) and RFC 8011 (the model: operations, the attributes
// each needs, printer and job states, status codes). An ipp:// URL is
// posted to as http:// and ipps:// as https://, port 631 unless given
// (RFC 3510, RFC 7472); the URL itself goes in printer-uri.
//
// Errors are classed: ErrUnreachable (no answer: connection refused, DNS,
// timeout, TLS), ErrRefused (the printer answered with an IPP or HTTP
// error; *StatusError carries the code and the printer's message),
// ErrNotAccepting (the printer is up but not taking jobs), ErrProtocol
// (an answer that is not IPP). Describe puts any of them in Vietnamese.
package ipp
