package waitsim

import "testing"

// TestOursBeatsBaselines is a behavioural check of the estimator on fixed
// seeds: over five simulated busy days, the mean absolute error of the
// first estimate must be below both the naive and the moving-average
// baselines. (Measurement of the error itself is `make bench`.)
func TestOursBeatsBaselines(t *testing.T) {
	var rs []*Result
	for seed := int64(1); seed <= 5; seed++ {
		r, err := Run(seed)
		if err != nil {
			t.Fatal(err)
		}
		if r.Arrivals < 800 || r.Arrivals > 1000 || r.Called != r.Arrivals || r.NoShows == 0 || r.Pauses == 0 {
			t.Fatalf("seed %d: implausible day: %+v", seed, *r)
		}
		rs = append(rs, r)
	}
	s := Summarise(rs, nil)
	t.Logf("MAE over %d days (min): ours %.2f ± %.2f, naive %.2f ± %.2f, moving %.2f ± %.2f",
		s.Days, s.Ours, s.OursSD, s.Naive, s.NaiveSD, s.Moving, s.MovingSD)
	if s.Ours >= s.Naive || s.Ours >= s.Moving {
		t.Errorf("ours does not beat both baselines: ours %.2f, naive %.2f, moving %.2f", s.Ours, s.Naive, s.Moving)
	}
}

// TestDeterministic checks that a seed gives the same day.
func TestDeterministic(t *testing.T) {
	a, err := Run(42)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Run(42)
	if err != nil {
		t.Fatal(err)
	}
	if a.Errors(nil) != b.Errors(nil) || len(a.Records) != len(b.Records) {
		t.Fatal("the same seed gave different days")
	}
}
