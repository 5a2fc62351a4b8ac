package lds_test

import (
	"crypto"
	"fmt"
	"time"

	"xephang/drivers/emrtd/lds"
)

func ExampleVerify() {
	pki, err := lds.NewPKI("VN", "Example")
	if err != nil {
		panic(err)
	}
	dgs := map[int][]byte{
		1:  lds.BuildDG1("IDVNM0790123458079012345678<<<\n7901017M3901018VNM<<<<<<<<<<<8\nNGUYEN<<VAN<AN<<<<<<<<<<<<<<<<"),
		13: lds.BuildDG13(lds.DG13{IDNumber: "079012345678", Name: "Nguyễn Văn An"}),
	}
	sod, err := lds.BuildSOD(dgs, crypto.SHA256, pki.DS, pki.DSKey)
	if err != nil {
		panic(err)
	}
	now := time.Now()
	fmt.Println(lds.Verify(sod, dgs, lds.NewCSCAs(pki.CSCA), now).Result)
	fmt.Println(lds.Verify(sod, dgs, nil, now).Result)

	dgs[13] = lds.BuildDG13(lds.DG13{IDNumber: "079012345678", Name: "Nguyễn Văn Ân"})
	v := lds.Verify(sod, dgs, nil, now)
	fmt.Println(v.Result, v.Problems)
	// Output:
	// genuine
	// not_checked
	// data_altered [DG13 does not match its hash in EF.SOD]
}

func ExampleParseDG13() {
	b := lds.BuildDG13(lds.DG13{Name: "Trần Thị Ửng", Sex: "Nữ", Father: "Trần Văn Ba", Mother: "Lê Thị Tư",
		Fields: []lds.Field{{Number: 16, Values: []string{"?"}}}})
	d, err := lds.ParseDG13(b)
	if err != nil {
		panic(err)
	}
	fmt.Println(d.Name, "/", d.Sex, "/", d.Father, "/", d.Mother)
	for _, f := range d.Fields {
		fmt.Println(f.Number, f.Values)
	}
	// Output:
	// Trần Thị Ửng / Nữ / Trần Văn Ba / Lê Thị Tư
	// 2 [Trần Thị Ửng]
	// 4 [Nữ]
	// 13 [Trần Văn Ba Lê Thị Tư]
	// 16 [?]
}
