// Command benchforecast runs the forecast backtest (`make bench-forecast`)
// and prints its table.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"sort"
	"time"

	"xephang/queue-server/forecast/backtest"
)

func main() {
	weeks := flag.Int("weeks", 0, "weeks of weekly forecasts (default: the backtest's)")
	noPlan := flag.Bool("no-plan", false, "skip the staffing plans")
	flag.Parse()
	cfg := backtest.DefaultConfig()
	if *weeks > 0 {
		cfg.Weeks = *weeks
	}
	cfg.Plan = !*noPlan
	centres, err := backtest.Centres()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	start := time.Now()
	rows, err := backtest.Run(cfg, centres)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("Forecast backtest: history %s … %s, forecasts every Monday from %s for %d days ahead, %d weeks; plan target p90 ≤ %v\n",
		cfg.HistoryFrom.Format(time.DateOnly), cfg.HistoryTo.Format(time.DateOnly), cfg.TestFrom.Format(time.DateOnly), cfg.Horizon, cfg.Weeks, cfg.Target)
	fmt.Printf("%s/%s, %d CPUs, %s, took %v\n\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), time.Since(start).Round(time.Second))
	fmt.Print(backtest.Table(rows, cfg.Target))
	fmt.Println("\nDay effects learnt by the last fit (factor on an ordinary day):")
	for _, r := range rows {
		var names []string
		for n := range r.Effects {
			names = append(names, n)
		}
		sort.Strings(names)
		fmt.Printf("- %s:", r.Centre)
		for _, n := range names {
			fmt.Printf(" %s %.2f", n, r.Effects[n])
		}
		fmt.Println()
	}
}
