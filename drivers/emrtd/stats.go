package emrtd

import "context"

// Stats count what one read cost on the wire.
type Stats struct {
	APDUs, BytesOut, BytesIn int    // command APDUs sent (GET RESPONSE included) and bytes each way, SW included
	Access                   string // "BAC" or "PACE"
	Extended                 bool   // the files were read with extended-length APDUs
	ChipAuth                 bool   // chip authentication ran (its APDUs are counted in APDUs)
}

// counter counts APDUs and bytes and stops between APDUs when ctx is done.
type counter struct {
	t     Transmitter
	ctx   context.Context
	stats *Stats
}

func (c *counter) Transmit(apdu []byte) ([]byte, error) {
	if err := c.ctx.Err(); err != nil {
		return nil, err
	}
	c.stats.APDUs++
	c.stats.BytesOut += len(apdu)
	r, err := c.t.Transmit(apdu)
	c.stats.BytesIn += len(r)
	return r, err
}
