package chipsim

import (
	"bytes"
	"image/jpeg"
	"os"
	"testing"
)

func TestFaceJPEG(t *testing.T) {
	b := faceJPEG(looks["adult"])
	if len(b) > 15*1024 {
		t.Errorf("face is %d bytes, want at most 15 KB", len(b))
	}
	img, err := jpeg.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if r := img.Bounds(); r.Dx() != faceWidth || r.Dy() != faceHeight {
		t.Fatalf("face is %v", r)
	}
	if os.Getenv("CHIPSIM_WRITE_FACE") != "" {
		os.WriteFile(os.Getenv("CHIPSIM_WRITE_FACE"), b, 0o644)
	}
}
