package forecast

import (
	"math"
	"testing"
	"time"
)

// The lunar dates of holidays/vn.json (Tết: 1/1; Giỗ Tổ: 10/3) checked
// against the Vietnamese lunar calendar computed astronomically (new
// moons and the sun's longitude after Jean Meeus, the month rules of the
// Vietnamese calendar as Hồ Ngọc Đức states them, time zone UTC+7).
func TestLunarDates(t *testing.T) {
	c := VietnamCalendar()
	for _, b := range c.Tet() {
		if got := lunarToSolar(1, 1, b.Year).Format(time.DateOnly); got != b.NewYear {
			t.Errorf("%d: Tết on %s, the data say %s", b.Year, got, b.NewYear)
		}
		gioTo := lunarToSolar(10, 3, b.Year)
		if name, ok := c.Holiday(gioTo); !ok || name != "Giỗ Tổ Hùng Vương" {
			t.Errorf("%d: 10/3 lunar is %s: %q", b.Year, gioTo.Format(time.DateOnly), name)
		}
	}
	// Known dates: Tết 2020 on 25 January, 2023 on 22 January.
	for y, want := range map[int]string{2020: "2020-01-25", 2023: "2023-01-22"} {
		if got := lunarToSolar(1, 1, y).Format(time.DateOnly); got != want {
			t.Errorf("Tết %d: %s, want %s", y, got, want)
		}
	}
}

const lunarTZ = 7.0

func jdFromDate(dd, mm, yy int) int {
	a := (14 - mm) / 12
	y := yy + 4800 - a
	m := mm + 12*a - 3
	return dd + (153*m+2)/5 + 365*y + y/4 - y/100 + y/400 - 32045
}

func jdToDate(jd int) time.Time {
	a := jd + 32044
	b := (4*a + 3) / 146097
	c := a - (b*146097)/4
	d := (4*c + 3) / 1461
	e := c - (1461*d)/4
	m := (5*e + 2) / 153
	return time.Date(b*100+d-4800+m/10, time.Month(m+3-12*(m/10)), e-(153*m+2)/5+1, 0, 0, 0, 0, time.UTC)
}

// newMoon is the Julian day of the k-th new moon after 1900-01-01.
func newMoon(k float64) float64 {
	T := k / 1236.85
	T2, T3 := T*T, T*T*T
	dr := math.Pi / 180
	jd := 2415020.75933 + 29.53058868*k + 0.0001178*T2 - 0.000000155*T3
	jd += 0.00033 * math.Sin((166.56+132.87*T-0.009173*T2)*dr)
	M := 359.2242 + 29.10535608*k - 0.0000333*T2 - 0.00000347*T3
	Mpr := 306.0253 + 385.81691806*k + 0.0107306*T2 + 0.00001236*T3
	F := 21.2964 + 390.67050646*k - 0.0016528*T2 - 0.00000239*T3
	c := (0.1734-0.000393*T)*math.Sin(M*dr) + 0.0021*math.Sin(2*dr*M)
	c += -0.4068*math.Sin(Mpr*dr) + 0.0161*math.Sin(dr*2*Mpr) - 0.0004*math.Sin(dr*3*Mpr)
	c += 0.0104*math.Sin(dr*2*F) - 0.0051*math.Sin(dr*(M+Mpr)) - 0.0074*math.Sin(dr*(M-Mpr))
	c += 0.0004*math.Sin(dr*(2*F+M)) - 0.0004*math.Sin(dr*(2*F-M)) - 0.0006*math.Sin(dr*(2*F+Mpr))
	c += 0.0010*math.Sin(dr*(2*F-Mpr)) + 0.0005*math.Sin(dr*(2*Mpr+M))
	var deltaT float64
	if T < -11 {
		deltaT = 0.001 + 0.000839*T + 0.0002261*T2 - 0.00000845*T3 - 0.000000081*T*T3
	} else {
		deltaT = -0.000278 + 0.000265*T + 0.000262*T2
	}
	return jd + c - deltaT
}

func newMoonDay(k int) int { return int(math.Floor(newMoon(float64(k)) + 0.5 + lunarTZ/24)) }

// sunSector is the sun's longitude at the start of the day, in 30° sectors.
func sunSector(day int) int {
	T := (float64(day) - 0.5 - lunarTZ/24 - 2451545.0) / 36525
	T2, T3 := T*T, T*T*T
	dr := math.Pi / 180
	M := 357.52910 + 35999.05030*T - 0.0001559*T2 - 0.00000048*T3
	L0 := 280.46645 + 36000.76983*T + 0.0003032*T2
	DL := (1.914600-0.004817*T-0.000014*T2)*math.Sin(dr*M) + (0.019993-0.000101*T)*math.Sin(dr*2*M) + 0.000290*math.Sin(dr*3*M)
	L := (L0 + DL) * dr
	L -= 2 * math.Pi * math.Floor(L/(2*math.Pi))
	return int(math.Floor(L / math.Pi * 6))
}

// month11 is the first day of the 11th lunar month (holding the winter solstice) of the year.
func month11(yy int) int {
	k := int(math.Floor(float64(jdFromDate(31, 12, yy)-2415021) / 29.530588853))
	nm := newMoonDay(k)
	if sunSector(nm) >= 9 {
		nm = newMoonDay(k - 1)
	}
	return nm
}

func leapMonthOffset(a11 int) int {
	k := int(math.Floor((float64(a11)-2415021.076998695)/29.530588853 + 0.5))
	i, arc := 1, sunSector(newMoonDay(k+1))
	for {
		last := arc
		i++
		arc = sunSector(newMoonDay(k + i))
		if arc == last || i >= 14 {
			return i - 1
		}
	}
}

// lunarToSolar converts a day of a (non-leap) lunar month.
func lunarToSolar(day, month, year int) time.Time {
	a11, b11 := month11(year-1), month11(year)
	if month >= 11 {
		a11, b11 = month11(year), month11(year+1)
	}
	k := int(math.Floor(0.5 + (float64(a11)-2415021.076998695)/29.530588853))
	off := month - 11
	if off < 0 {
		off += 12
	}
	if b11-a11 > 365 && off >= leapMonthOffset(a11) {
		off++
	}
	return jdToDate(newMoonDay(k+off) + day - 1)
}
