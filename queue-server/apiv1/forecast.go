package apiv1

import (
	"context"
	"net/url"
	"strconv"
)

// ---- Forecast and staffing plan ----

// ForecastView is GET …/forecast: the expected arrivals of the next days
// per service and hour with their 80 % interval, the totals per day (the
// week before today too, with what actually came, today's so far), and
// the staffing plan of one day.
// Aggregate counts only: nothing in it names a citizen.
type ForecastView struct {
	Centre    string `json:"centre"`
	Generated string `json:"generated"` // RFC 3339
	Today     string `json:"today"`     // the centre's local date
	// Model says in one line how the forecast was made.
	Model  string          `json:"model"`
	Days   []ForecastDay   `json:"days"`
	Points []ForecastPoint `json:"points"`
	// Plan is the staffing plan of the day asked for (plan_day), nil when
	// there is no forecast.
	Plan *StaffingPlan `json:"plan"`
	// Accuracy is how the forecast fared over the days before today
	// (nil when nobody came, there is no forecast, or the history before
	// those days is too short to fit).
	Accuracy *ForecastAccuracy `json:"accuracy"`
	// Notes explain what the forecast could not take into account
	// (too little history, a day closed), in Vietnamese.
	Notes []string `json:"notes"`
}

// ForecastAccuracy is the forecast of the days before today, each made
// by a model fitted on the history before them (as it would have been a
// week earlier), against the arrivals that came: WAPE = Σ|forecast −
// actual| / Σ actual over those days, all services.
type ForecastAccuracy struct {
	Days int     `json:"days"` // open days measured
	WAPE float64 `json:"wape"` // 0.184 = 18.4 %
}

// ForecastDay is one day's total, of all services (Service "") or of one.
type ForecastDay struct {
	Day     string  `json:"day"` // YYYY-MM-DD, local
	Service string  `json:"service,omitempty"`
	Mean    float64 `json:"mean"`
	Low     float64 `json:"low"`
	High    float64 `json:"high"`
	// Actual is how many came, on past days and today (so far).
	Actual *int `json:"actual,omitempty"`
	// Closed: a public holiday, a closed date or a day without hours.
	Closed  bool   `json:"closed,omitempty"`
	Holiday string `json:"holiday,omitempty"`
}

// ForecastPoint is the expected arrivals of one service in one hour of a
// day: mean and 80 % interval, and the bookings already made (a floor).
type ForecastPoint struct {
	Service string  `json:"service"`
	Day     string  `json:"day"`
	Hour    int     `json:"hour"` // 0–23, local; the hour from Hour:00 to Hour+1:00
	Mean    float64 `json:"mean"`
	Low     float64 `json:"low"`
	High    float64 `json:"high"`
	Booked  int     `json:"booked"`
}

// StaffingPlan is, for each open hour of a day, the counters to open so
// that the simulated 90th-percentile wait stays under the target.
type StaffingPlan struct {
	Day           string     `json:"day"`
	TargetMinutes int        `json:"target_minutes"`
	Hours         []PlanHour `json:"hours"`
	// CounterHours the plan uses, against all configured counters open
	// all day (AllDayCounterHours).
	CounterHours       int `json:"counter_hours"`
	AllDayCounterHours int `json:"all_day_counter_hours"`
	// MetShare is the share of the day's hours whose simulated p90 wait
	// meets the target.
	MetShare float64 `json:"met_share"`
}

// PlanHour is one hour of a StaffingPlan.
type PlanHour struct {
	Hour     int   `json:"hour"`
	Counters []int `json:"counters"` // counter numbers to open
	Needed   int   `json:"needed"`   // counters the target needs
	Roster   int   `json:"roster"`   // counters configured for the hour's services
	// Short: even every counter of the roster cannot meet the target.
	Short      bool    `json:"short"`
	P90Minutes float64 `json:"p90_minutes"` // simulated
	Met        bool    `json:"met"`
	Expected   float64 `json:"expected"` // arrivals forecast in the hour, all services
}

// BusiestView is GET …/forecast/busiest: the busiest hours of the next
// open day, busiest first, for the counter console.
type BusiestView struct {
	Centre string        `json:"centre"`
	Day    string        `json:"day"` // "" when no open day is forecast
	Hours  []BusiestHour `json:"hours"`
	Notes  []string      `json:"notes"`
}

// BusiestHour is one hour of a BusiestView.
type BusiestHour struct {
	Hour int     `json:"hour"`
	Mean float64 `json:"mean"`
	High float64 `json:"high"`
}

// ForecastQuery are the parameters of GET …/forecast; zero values take the
// server's defaults (14 days, the plan of the next open day, 30 minutes).
type ForecastQuery struct {
	Days          int
	PlanDay       string
	TargetMinutes int
}

func (q ForecastQuery) values() url.Values {
	v := url.Values{}
	if q.Days != 0 {
		v.Set("days", strconv.Itoa(q.Days))
	}
	if q.PlanDay != "" {
		v.Set("plan_day", q.PlanDay)
	}
	if q.TargetMinutes != 0 {
		v.Set("target_minutes", strconv.Itoa(q.TargetMinutes))
	}
	return v
}

// Forecast returns a centre's forecast and staffing plan (admin).
func (c *Client) Forecast(ctx context.Context, centre string, q ForecastQuery) (ForecastView, error) {
	var out ForecastView
	path := "/api/v1/centres/" + url.PathEscape(centre) + "/forecast"
	if v := q.values().Encode(); v != "" {
		path += "?" + v
	}
	_, err := c.Do(ctx, "GET", path, nil, &out)
	return out, err
}

// Busiest returns the busiest hours of a centre's next open day (staff).
func (c *Client) Busiest(ctx context.Context, centre string) (BusiestView, error) {
	var out BusiestView
	_, err := c.Do(ctx, "GET", "/api/v1/centres/"+url.PathEscape(centre)+"/forecast/busiest", nil, &out)
	return out, err
}
