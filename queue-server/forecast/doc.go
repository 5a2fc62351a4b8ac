// Package forecast forecasts a centre's arrivals per service, day and hour
// for the coming days and plans how many counters to open each hour.
//
// The model is a seasonal model per service, chosen because a manager can
// follow it and it needs no more than a few months of the centre's own
// tickets:
//
//	arrivals(service, day, hour) = level(service) × trend^weeks ahead
//	                               × weekday(service, day)
//	                               × effect(day)
//	                               × share(service, weekday, hour)
//	                             + bookings
//
// Its parts:
//
//   - level and trend: a Theil–Sen line (the median of pairwise slopes,
//     robust to odd weeks) through the last 16 weekly means of the
//     service's walk-ins, each day first divided by its weekday factor and
//     day effect; the slope is halved (damped) and capped at ±3 % a week;
//   - weekday: the service's mean per weekday over the last 26 weeks over
//     its mean, shrunk toward 1 when a weekday has few days;
//   - effect: one multiplicative factor per kind of day, learnt over the
//     whole history as the median ratio of such days to the same weekday's
//     ordinary days within four weeks, shrunk toward 1: the week before
//     Tết, the first and second weeks after it, the working day after and
//     before a public holiday, the first and the last working day of the
//     month (a day takes the first that applies, in that order); the
//     effects are the centre's (all services together: more days, steadier
//     factors);
//   - share: the service's weekday × hour profile over the last 26 weeks,
//     shrunk toward its all-days profile when a weekday has few arrivals;
//   - bookings: checked-in bookings are a stream of their own, fitted the
//     same way; for a day ahead the larger of the bookings already made and
//     that stream is added to the walk-ins, and the bookings made are a
//     floor of the forecast and of its interval;
//   - closed days (public holidays of the calendar, the centre's closed
//     dates, weekdays without hours) are forecast 0.
//
// The 80 % interval is an overdispersed Poisson one: variance φ·μ + (c·μ)²,
// with φ the hourly dispersion around the day's own profile (last 26
// weeks) and c the relative error of whole days beyond Poisson, measured
// out of sample (each of the last 8 weeks forecast from the weeks before
// it; in sample when fewer than 20 days can be), grown by 5 % a week of
// horizon and by a quarter on effect days; the backtest reports its
// coverage.
//
// The staffing plan (MakePlan) is greedy and checked by simulation
// (waitsim.Simulate): it plans for a busy day (each hour's forecast mean
// scaled to the day's upper bound, arrivals drawn as Poisson on three
// simulated days with lognormal service times of the learnt means) and
// goes hour by hour, the later hours fully staffed: it starts from the
// fewest counters whose minutes cover the hour's work, plus one for each
// service expected that none of them serves, then opens the counter
// serving most of the citizens waiting too long until the hour's
// 90th-percentile wait, on each simulated day, is within 75 % of the
// target; an hour the whole roster cannot bring there is Short. A last
// pass opens more where citizens left waiting spill into a leaner hour.
// Waits count the minutes the centre is open (not breaks, not before
// opening).
package forecast
