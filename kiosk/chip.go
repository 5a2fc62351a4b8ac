package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"xephang/drivers/emrtd"
	"xephang/drivers/emrtd/lds"
	"xephang/drivers/idcard"
	"xephang/drivers/idcard/chip"
	"xephang/drivers/pcsc"
	"xephang/kiosk/devices"
	"xephang/kiosk/flow"
)

// chipFlow reads a card's chip for the flows (flow.ChipReader): the key
// from the optical read, the chip reader of kiosk/devices (PC/SC's or the
// simulator's), the CSCAs of -csca.
type chipFlow struct {
	reader devices.ChipReader
	cscas  *lds.CSCAs
	wait   time.Duration
}

// ReadChip implements flow.ChipReader.
func (c chipFlow) ReadChip(ctx context.Context, optical *idcard.Card, progress func(string)) (*flow.ChipRead, error) {
	key, err := chip.KeyFromCard(optical)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", flow.ErrChipKey, err)
	}
	rctx, cancel := context.WithTimeout(ctx, c.wait+30*time.Second)
	defer cancel()
	r, err := devices.ReadChip(rctx, c.reader, key, c.cscas, c.wait, progress)
	if err != nil {
		return nil, chipError(err)
	}
	return chipRead(r, optical)
}

// chipRead is what the flows and the counter learn of a chip read: the
// output for staff without its face (the face apart, as JPEG).
func chipRead(r *chip.Result, optical *idcard.Card) (*flow.ChipRead, error) {
	mismatches := chip.CrossCheck(r, optical)
	out := r.Output()
	out.Face, out.FaceFormat, out.Mismatches = nil, "", mismatches
	raw, err := json.Marshal(out)
	if err != nil {
		return nil, err
	}
	return &flow.ChipRead{Card: r.Card, Authenticity: string(r.Authenticity), Problems: r.Problems, ChipAuth: r.ChipAuth, Mismatches: mismatches,
		Output: raw, FaceJPEG: r.FaceJPEG}, nil
}

// chipError says which of the flow's failures err is.
func chipError(err error) error {
	switch {
	case errors.Is(err, devices.ErrNoChipCard):
		return fmt.Errorf("%w: %w", flow.ErrChipAbsent, err)
	case errors.Is(err, emrtd.ErrAccessDenied):
		return fmt.Errorf("%w: %w", flow.ErrChipAccess, err)
	case errors.Is(err, pcsc.ErrRemoved):
		return fmt.Errorf("%w: %w", flow.ErrChipRemoved, err)
	}
	return err
}

// loadCSCAs reads the CSCAs of dir; none (passive authentication says
// not_checked) when the directory is missing or holds none.
func loadCSCAs(dir string, log *slog.Logger) *lds.CSCAs {
	if dir == "" {
		return nil
	}
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		log.Warn("no CSCA directory: chips are read but their issuer is not checked (not_checked)", "csca", dir)
		return nil
	}
	c, err := lds.LoadCSCAs(dir)
	if err != nil {
		log.Error("CSCA directory unreadable: chips are read but their issuer is not checked (not_checked)", "csca", dir, "err", err)
		return nil
	}
	return c
}

// chipGrace is how long after a card comes on the chip reader an optical
// read may come before the citizen is told it is needed (tests shorten it).
var chipGrace = 4 * time.Second

// watchChip tells the citizen what is needed when a card lies on the
// chip reader and no optical read came (the chip cannot be opened without
// the card's QR or MRZ).
func (m *Main) watchChip(ctx context.Context, r devices.ChipReader) {
	for ctx.Err() == nil {
		if err := r.WaitPresent(ctx); err != nil {
			if ctx.Err() == nil {
				m.Log.Debug("chip reader", "err", err)
				sleep(ctx, 3*time.Second)
			}
			continue
		}
		if !sleep(ctx, chipGrace) {
			return
		}
		m.Kiosk.ChipWithoutOptical(chipGrace + 10*time.Second)
		if err := r.WaitRemoved(ctx); err != nil && ctx.Err() == nil {
			sleep(ctx, 3*time.Second)
		}
	}
}

// sleep waits d, false when ctx ended first.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
