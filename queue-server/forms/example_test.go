package forms_test

import (
	"fmt"
	"time"

	"xephang/queue-server/forms"
)

// A card read at the kiosk prefills the residence form; Validate says what
// the citizen still has to fill.
func ExampleForm_Prefill() {
	f, _ := forms.Default().Form("thuong-tru")
	today := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	card := forms.Person{IDNumber: "001095012345", Name: "Nguyễn Văn An", BirthDate: "1995-03-12", Sex: "M",
		Address: "Số 1 Tràng Tiền, phường Hoàn Kiếm, Hà Nội"}
	v := forms.Filled{Procedure: f.Procedure, Values: f.Prefill(card, "card", today)}
	fmt.Println(v.Values["applicant_name"], v.Values["applicant_birth_date"], v.Values["applicant_sex"])
	for _, e := range f.Validate(&v, today) {
		fmt.Println(e.Field, e.Code, e.Message)
	}
	// Output:
	// Nguyễn Văn An 1995-03-12 M
	// request required chưa điền nội dung đề nghị
	// residence_address required chưa điền địa chỉ nơi đăng ký thường trú
}
