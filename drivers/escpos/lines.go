package escpos

// Line is one line of text of a document printed with EncodeLines.
type Line struct {
	Text   string
	Bold   bool
	Centre bool // centred; left-aligned otherwise
	Small  bool // a smaller face where the line is drawn as raster
}

// EncodeLines returns the ESC/POS bytes of a document of text lines for
// printer profile p, from ESC @ to the cut: each line wrapped to the paper
// and printed the way the profile prints text (the printer's font for
// ASCII and its code page, raster images otherwise, never a '?'), exactly
// as the lines of a ticket. An empty line feeds one line. It is for
// documents other than queue tickets, e.g. the dossier pre-check's
// checklist; send the result with Printer.Write.
func EncodeLines(lines []Line, p Profile) ([]byte, error) {
	j := &job{p: p, buf: make([]byte, 0, 4096)}
	j.raw(0x1B, '@')
	if p.Text == TextCP1258 || p.Text == TextTCVN3 {
		j.selectPage(p.CodePage)
	}
	align := byte(0xff)
	for _, l := range lines {
		a := byte(0)
		if l.Centre {
			a = 1
		}
		if a != align {
			j.raw(0x1B, 'a', a)
			align = a
		}
		s := clean(l.Text)
		if s == "" {
			j.raw('\n')
			continue
		}
		st := styleBody
		switch {
		case l.Bold:
			st = styleBold
		case l.Small:
			st = styleSmall
		}
		j.line(s, st)
	}
	j.raw(0x1B, 'a', 0)
	j.raw(0x1B, 'd', 4)     // feed past the cutter
	j.raw(0x1D, 'V', 66, 0) // feed and partial cut
	if j.err != nil {
		return nil, j.err
	}
	return j.buf, nil
}
