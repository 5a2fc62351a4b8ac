package pcsc_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"xephang/drivers/pcsc"
)

// A kiosk's loop: wait for a card on the first reader, exchange APDUs,
// start again when it is pulled out mid-read.
func Example() {
	c, err := pcsc.Establish()
	if errors.Is(err, pcsc.ErrNoService) {
		fmt.Println("pcscd is not running")
		return
	}
	if err != nil {
		return
	}
	defer c.Release()
	readers, err := c.Readers()
	if err != nil { // ErrNoReaders: none plugged in
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := c.WaitForCard(ctx, readers[0]); err != nil {
		return
	}
	card, err := c.Connect(readers[0])
	if err != nil {
		return
	}
	defer card.Close()
	// SELECT the eMRTD application (ICAO 9303 part 10).
	resp, err := card.Transmit([]byte{0x00, 0xA4, 0x04, 0x0C, 0x07, 0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01})
	if errors.Is(err, pcsc.ErrRemoved) {
		fmt.Println("the card was taken away: put it back")
		return
	}
	fmt.Printf("SW % X\n", resp[len(resp)-2:])
}
