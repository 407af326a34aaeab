package progress

import (
	"math"
	"slices"
	"time"
)

// Learn averages what finished runs taught (Tracker.Model) into one Model.
func Learn(models ...Model) Model {
	shares, perUnit := make([]map[string]float64, len(models)), make([]map[string]float64, len(models))
	for i, m := range models {
		shares[i], perUnit[i] = m.Shares, m.PerUnit
	}
	return Model{Shares: mean(shares), PerUnit: mean(perUnit)}
}

// mean averages maps key by key, over the maps that have the key.
func mean(ms []map[string]float64) map[string]float64 {
	sum, n := map[string]float64{}, map[string]int{}
	for _, m := range ms {
		for k, v := range m {
			sum[k] += v
			n[k]++
		}
	}
	for k := range sum {
		sum[k] /= float64(n[k])
	}
	return sum
}

// Sample is an estimate taken At a moment of a run.
type Sample struct {
	At       time.Duration
	Fraction float64
	ETA      time.Duration // -1 when the estimator gave none
}

// Score is how well an estimator followed a run.
type Score struct {
	// RMS is the time-weighted root mean square of the difference between
	// the fraction reported (held from one sample to the next, 0 before
	// the first) and t/T, over the run.
	RMS float64
	// MedianETAError is the median of |t + ETA - T| / T over the samples
	// taken once a fifth of the run was reported done; -1 when there is
	// none.
	MedianETAError float64
	// Monotone is false when a sample's fraction is lower than an earlier
	// one's.
	Monotone bool
	Samples  int
}

// ScoreOf scores samples (in time order) of a run that took total.
func ScoreOf(samples []Sample, total time.Duration) Score {
	sc := Score{Monotone: true, Samples: len(samples), MedianETAError: -1}
	if total <= 0 {
		return sc
	}
	T := float64(total)
	// ∫ (f - t/T)² dt over [a, b] with f constant, in units of T.
	segment := func(f, a, b float64) float64 {
		ua, ub := a/T, b/T
		return (math.Pow(ub-f, 3) - math.Pow(ua-f, 3)) / 3
	}
	var integral, prev float64
	last := 0.0
	var etaErrs []float64
	for i, s := range samples {
		at := math.Min(math.Max(float64(s.At), 0), T)
		integral += segment(prev, last, at)
		if i > 0 && s.Fraction < samples[i-1].Fraction {
			sc.Monotone = false
		}
		prev, last = s.Fraction, at
		if s.Fraction >= 0.2 && s.ETA >= 0 && at < T {
			etaErrs = append(etaErrs, math.Abs(at+float64(s.ETA)-T)/T)
		}
	}
	integral += segment(prev, last, T)
	sc.RMS = math.Sqrt(math.Max(integral, 0))
	if len(etaErrs) > 0 {
		slices.Sort(etaErrs)
		sc.MedianETAError = etaErrs[(len(etaErrs)-1)/2]
	}
	return sc
}
