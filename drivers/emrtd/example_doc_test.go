package emrtd_test

import (
	"fmt"

	"xephang/drivers/emrtd"
)

// BAC's keys from the MRZ of Doc 9303 Part 11 Appendix D.
func ExampleDeriveKey() {
	m := emrtd.MRZInfo{DocumentNumber: "L898902C", BirthDate: "690806", ExpiryDate: "940623"}
	seed := m.KeySeed()
	fmt.Printf("K_seed %X\n", seed)
	fmt.Printf("K_enc  %X\n", emrtd.DeriveKey(seed, 1, emrtd.Cipher3DES))
	fmt.Printf("K_mac  %X\n", emrtd.DeriveKey(seed, 2, emrtd.Cipher3DES))
	// Output:
	// K_seed 239AB9CB282DAF66231DC5A4DF6BFBAE
	// K_enc  AB94FDECF2674FDFB9B391F85D7F76F2
	// K_mac  7962D9ECE03D1ACD4C76089DCE131543
}
