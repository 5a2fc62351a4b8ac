package main

import (
	"fmt"
	"os"

	"xephang/queue-server/waitsim"
)

// waitScenario runs o.seeds simulated days and prints the estimators' errors.
func waitScenario(o options) error {
	var rs []*waitsim.Result
	for seed := int64(1); seed <= int64(o.seeds); seed++ {
		r, err := waitsim.Run(seed)
		if err != nil {
			return err
		}
		rs = append(rs, r)
	}
	w := os.Stdout
	all := waitsim.Summarise(rs, nil)
	fmt.Fprintf(w, "## 3. Estimated-wait error over %d simulated days (seeds 1–%d)\n\n", len(rs), len(rs))
	fmt.Fprintf(w, "Per day on average: %.0f tickets, mean real wait %.1f min, %.0f no-shows, %.0f counter pauses (lunch included), last call %.0f min after 17:00.\n",
		all.Tickets, all.MeanWait, all.NoShows, all.Pauses, all.LastCallMinutesPast17)
	fmt.Fprintln(w, "Mean absolute error of the first estimate (minutes): mean ± standard deviation across days; bias is the mean of estimate − real.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| tickets | n/day | real wait min | ours MAE | naive MAE | moving-30 MAE | ours vs naive | ours vs moving | bias ours | bias naive | bias moving | days ours beats both |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	line := func(name string, keep func(waitsim.Record) bool) {
		s := waitsim.Summarise(rs, keep)
		if s.Days == 0 {
			return
		}
		fmt.Fprintf(w, "| %s | %.0f | %.1f | %.2f ± %.2f | %.2f ± %.2f | %.2f ± %.2f | %.2f× | %.2f× | %+.1f | %+.1f | %+.1f | %d/%d |\n",
			name, s.Tickets, s.MeanWait, s.Ours, s.OursSD, s.Naive, s.NaiveSD, s.Moving, s.MovingSD,
			s.Ours/s.Naive, s.Ours/s.Moving, s.BiasOurs, s.BiasNaive, s.BiasMoving, s.OursWins, s.Days)
	}
	line("all", nil)
	mins := func(r waitsim.Record) float64 { return r.Issued.Sub(waitsim.Day).Minutes() }
	line("issued before opening (07:00–07:30)", func(r waitsim.Record) bool { return mins(r) < 450 })
	line("morning (07:30–11:30)", func(r waitsim.Record) bool { return mins(r) >= 450 && mins(r) < 690 })
	line("… morning, real wait crossing lunch", func(r waitsim.Record) bool {
		return mins(r) >= 450 && mins(r) < 690 && mins(r)+r.Real/60 > 690
	})
	line("lunch break (11:30–13:00)", func(r waitsim.Record) bool { return mins(r) >= 690 && mins(r) < 780 })
	line("afternoon (13:00–)", func(r waitsim.Record) bool { return mins(r) >= 780 })
	for _, s := range waitsim.Services {
		code := s.Code
		line(fmt.Sprintf("service %s (%s, %d min configured, real mean %.0f)", code, s.Name, s.Minutes, s.RealMean), func(r waitsim.Record) bool { return r.Service == code })
	}
	line("legal priority", func(r waitsim.Record) bool { return r.Priority })
	fmt.Fprintln(w)
	return nil
}
