package federation

import (
	"math"
	"slices"
)

// quartiles returns the first quartile, the median and the third quartile
// of v (type-7 interpolation, as spreadsheets' QUARTILE.INC), rounded to
// one decimal. Temporary: hub/cohort.Summarise (issue 22's first half)
// replaces it once merged, so that the entity page and the national view
// compute the same figures.
func quartiles(v []float64) (q1, median, q3 float64) {
	s := slices.Clone(v)
	slices.Sort(s)
	q := func(p float64) float64 {
		h := p * float64(len(s)-1)
		lo := math.Floor(h)
		i := int(lo)
		if i+1 >= len(s) {
			return s[i]
		}
		return s[i] + (h-lo)*(s[i+1]-s[i])
	}
	r := func(x float64) float64 { return math.Round(x*10) / 10 }
	return r(q(0.25)), r(q(0.5)), r(q(0.75))
}
