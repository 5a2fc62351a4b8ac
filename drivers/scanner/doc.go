// Package scanner scans dossier pages at the kiosk from three kinds of
// document scanner, behind one Scanner interface that reports progress and
// says in plain words why a scan failed (jam, empty feeder, cover open…):
//
//   - SANE runs scanimage(1) from sane-utils: USB scanners with a SANE
//     backend, flatbed or automatic document feeder (ADF) batches, PNG or
//     TIFF. Tests run it against SANE's own "test" backend (scanimage -d
//     test works even though test is commented out of dll.conf; its ADF
//     holds 10 pages; --read-return-value SANE_STATUS_JAMMED makes a jam).
//   - ESCL speaks eSCL (Apple AirScan, Mopria), which most current network
//     office scanners do: GET /eSCL/ScannerCapabilities, POST
//     /eSCL/ScanJobs (201 + Location), GET {Location}/NextDocument until
//     404, GET /eSCL/ScannerStatus for the feeder state.
//   - Folder takes pages a network scanner saves to a shared folder
//     (scan-to-folder), each file only once it is complete.
//
// References:
//   - SANE standard 1.06, SANE_Status codes: https://sane-project.gitlab.io/standard/
//   - scanimage(1): https://manpages.debian.org/scanimage
//   - Mopria eSCL Specification 2.x (scan settings, job and status
//     resources): https://mopria.org/spec-download
package scanner
