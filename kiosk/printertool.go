package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"time"

	"xephang/drivers/escpos"
	"xephang/drivers/ipp"
	"xephang/kiosk/devices"
)

// printerTest implements `kioskd printer test`: open the printer, read its
// status, print a test ticket (or one slip per profile), say what works.
func printerTest(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kioskd printer test", flag.ContinueOnError)
	fs.SetOutput(stderr)
	device := fs.String("device", "", "printer: serial:/dev/ttyUSB0?baud=9600, tcp:HOST:9100 or usblp:/dev/usb/lp0")
	simulate := fs.String("simulate", "", "print to the simulated printer instead, keeping jobs in `DIR`")
	simStatus := fs.String("simulate-status", "", "state of the simulated printer: paper-out, near-end or cover-open")
	profileName := fs.String("profile", "raster-80", "printer profile (see -list)")
	list := fs.Bool("list", false, "list the printer profiles and exit")
	every := fs.Bool("every-profile", false, "print one short slip per profile of the same paper width, to see which prints Vietnamese right")
	statusOnly := fs.Bool("status-only", false, "read the status without printing")
	a4 := fs.String("a4", "", "test the A4 printer at `URL` instead (ipp://HOST[:PORT]/PATH or ipps://…): print a Vietnamese test page and wait for the job")
	a4CA := fs.String("a4-ca", "", "with -a4 ipps://…: trust the printer's certificate (or CA) in this PEM `FILE` too")
	if err := fs.Parse(args); err != nil || fs.NArg() != 0 {
		return exitUsage
	}
	if *a4 != "" {
		return a4Test(ctx, *a4, *a4CA, *statusOnly, stdout, stderr)
	}
	if *list {
		for _, p := range escpos.Profiles() {
			fmt.Fprintf(stdout, "%-14s %-7s %d mm  %s\n", p.Name, p.Text, map[int]int{576: 80, 384: 58}[p.Dots], p.Model)
		}
		return exitOK
	}
	prof, err := escpos.ProfileByName(*profileName)
	if err != nil {
		fmt.Fprintf(stderr, "kioskd: %v (kioskd printer test -list)\n", err)
		return exitUsage
	}
	if (*device == "") == (*simulate == "") {
		fmt.Fprintln(stderr, "kioskd: printer test needs -device SPEC, -simulate DIR or -a4 URL")
		return exitUsage
	}
	ok := func(format string, a ...any) { fmt.Fprintf(stdout, "OK    "+format+"\n", a...) }
	bad := func(format string, a ...any) { fmt.Fprintf(stdout, "LỖI   "+format+"\n", a...) }

	var sim *devices.PrinterSim
	spec := *device
	if *simulate != "" {
		sim, err = devices.StartPrinterSim(*simulate, prof.Dots, 0)
		if err != nil {
			bad("Không khởi động được máy in giả lập (simulator): %v", err)
			return exitProblem
		}
		defer sim.Close()
		if err := sim.SetState(*simStatus); err != nil {
			fmt.Fprintf(stderr, "kioskd: -simulate-status: %v\n", err)
			return exitUsage
		}
		spec = sim.Spec()
		ok("Máy in giả lập chạy trên %s (simulated printer)", sim.Path())
	}

	octx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	pr, dev, err := devices.OpenPrinter(octx, spec, prof)
	if err != nil {
		bad("Không mở được cổng máy in %s: %v", spec, err)
		bad("Kiểm tra cáp, nguồn điện và đường dẫn thiết bị (cable, power, device path)")
		return exitProblem
	}
	defer dev.Close()
	ok("Mở được cổng máy in %s (port open)", spec)

	st, err := pr.Status(octx)
	switch {
	case errors.Is(err, escpos.ErrNoReply):
		bad("Máy in không trả lời yêu cầu trạng thái DLE EOT (no status reply): %s", st.Reason())
		return exitProblem
	case err != nil:
		bad("Không đọc được trạng thái máy in: %v", err)
		return exitProblem
	case !st.CanPrint():
		bad("Máy in chưa in được: %s (%s)", st.Reason(), st.ReasonEN())
		return exitProblem
	case st.PaperNearEnd:
		ok("Máy in sẵn sàng, nhưng: %s (%s)", st.Reason(), st.ReasonEN())
	default:
		ok("Máy in sẵn sàng (ready): còn giấy, nắp đóng, không lỗi")
	}
	if *statusOnly {
		return exitOK
	}

	profs := []escpos.Profile{prof}
	if *every {
		profs = nil
		for _, p := range escpos.Profiles() {
			if p.Dots == prof.Dots {
				profs = append(profs, p)
			}
		}
	}
	for i, p := range profs {
		pr.SetProfile(p)
		t := testTicket(p, *every, i)
		data, err := escpos.EncodeTicket(t, p)
		if err != nil {
			bad("Không tạo được vé in thử: %v", err)
			return exitProblem
		}
		start := time.Now()
		if err := pr.PrintTicket(octx, t); err != nil {
			bad("In thử hồ sơ %s thất bại: %v", p.Name, err)
			return exitProblem
		}
		ok("Đã gửi vé in thử, hồ sơ %s: %d byte trong %v (test ticket sent)", p.Name, len(data), time.Since(start).Round(time.Millisecond))
	}
	if sim != nil {
		jobs, err := sim.WaitJobs(octx, len(profs))
		if err != nil {
			bad("Máy in giả lập không nhận đủ vé: %v", err)
			return exitProblem
		}
		for _, j := range jobs {
			ok("Vé %04d: %s", j.N, filepath.Clean(j.PNG))
		}
	} else {
		fmt.Fprintln(stdout, "Kiểm tra vé vừa in: chữ tiếng Việt có dấu đúng, số thứ tự to, mã QR quét được, giấy được cắt.")
		fmt.Fprintln(stdout, "(Check the ticket: Vietnamese diacritics right, big number, QR scans, paper cut.)")
	}
	return exitOK
}

// testTicket is the ticket `printer test` prints.
func testTicket(p escpos.Profile, short bool, i int) escpos.Ticket {
	t := escpos.Ticket{
		Centre:   "Trung tâm Phục vụ hành chính công",
		Subtitle: "In thử - hồ sơ " + p.Name,
		Number:   "A000",
		Service:  "Nguyễn Thị Hương, Đà Nẵng",
		Counter:  "1",
		Issued:   time.Now(),
		Ahead:    3,
		Wait:     15 * time.Minute,
		TrackURL: "https://xephang.gov.vn/track/test",
		Footer:   "Ầ ẩ ẫ ấ ậ Ề ể ễ ế ệ Ồ ổ ỗ ố ộ Ờ ở ỡ ớ ợ Ừ ử ữ ứ ự Ỳ ỷ ỹ ý ỵ Đ đ",
	}
	if short {
		t.Number = fmt.Sprintf("P%d", i+1)
		t.TrackURL, t.Ahead, t.Wait = "", -1, 0
	}
	return t
}

// a4Test is `kioskd printer test -a4 URL`: ask the A4 printer its state,
// print the Vietnamese test page, wait until the job completes.
func a4Test(ctx context.Context, printer, caFile string, statusOnly bool, stdout, stderr io.Writer) int {
	if err := devices.CheckA4URL(printer); err != nil || printer == devices.SimSpec {
		fmt.Fprintf(stderr, "kioskd: -a4 %q: want ipp://HOST[:PORT]/PATH (e.g. ipp://192.168.1.20/ipp/print) or ipps://…\n", ipp.Redact(printer))
		return exitUsage
	}
	ok := func(format string, a ...any) { fmt.Fprintf(stdout, "OK    "+format+"\n", a...) }
	bad := func(format string, a ...any) { fmt.Fprintf(stdout, "LỖI   "+format+"\n", a...) }
	shown := ipp.Redact(printer)
	a4 := devices.NewA4(printer, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if caFile != "" {
		if err := a4.Trust(caFile); err != nil {
			fmt.Fprintf(stderr, "kioskd: -a4-ca: %v\n", err)
			return exitUsage
		}
	}
	pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	attrs, err := a4.Poll(pctx)
	cancel()
	st := a4.Status()
	if err != nil {
		bad("%s: %s", st.Detail, shown)
		bad("%v", err)
		return exitProblem
	}
	ok("Máy in A4 trả lời (printer answers): %s, %s", attrs.MakeAndModel, attrs.State)
	if st.Status == "error" {
		bad("%s (%s)", st.Detail, printerSays(attrs))
		return exitProblem
	}
	if st.Status == "warning" {
		ok("Máy in A4 in được, nhưng: %s", st.Detail)
	}
	if statusOnly {
		return exitOK
	}
	page, err := devices.A4TestPage(time.Now(), shown)
	if err != nil {
		bad("Không tạo được trang in thử: %v", err)
		return exitProblem
	}
	jctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	id, err := a4.Printer.Print(jctx, "Trang in thử Xếp Hàng", "application/pdf", bytes.NewReader(page))
	if err != nil {
		bad("Máy in A4 không nhận trang in thử: %s", ipp.Describe(err))
		bad("%v", err)
		return exitProblem
	}
	ok("Đã gửi trang in thử: lệnh in số %d, %d byte (job sent)", id, len(page))
	j, err := a4.Printer.Wait(jctx, id, time.Second)
	switch {
	case err != nil:
		bad("Lệnh in %d chưa xong (%s): %v", id, j.State, err)
		return exitProblem
	case j.State != ipp.JobCompleted:
		bad("Lệnh in %d kết thúc ở trạng thái %s: %v %s", id, j.State, j.Reasons, j.Message)
		return exitProblem
	}
	ok("Lệnh in %d đã in xong (job completed)", id)
	fmt.Fprintln(stdout, "Kiểm tra trang vừa in: chữ tiếng Việt có dấu đúng, khung viền in đủ bốn cạnh.")
	fmt.Fprintln(stdout, "(Check the page: Vietnamese diacritics right, the frame printed on all four sides.)")
	return exitOK
}

// printerSays is what the printer said of itself, in English, for a technician.
func printerSays(a ipp.Attrs) string {
	return fmt.Sprintf("state %s, reasons %v, accepting %v, formats %v", a.State, a.Reasons, a.Accepting, a.Formats)
}
