// Package userfn holds the map function of the mapdelta golden case. Its
// result uses int where rows have int64 (a plain int, a pointer, a slice
// and a slice of pointers): the generated map step converts each.
package userfn

import (
	"strconv"
	"time"
)

// In is what Score reads of a Reading: bonus is optional (a pointer).
type In struct {
	Device string    `json:"device"`
	Count  int64     `json:"count"`
	Bonus  *int64    `json:"bonus"`
	At     time.Time `json:"at"`
}

// Out is Score's result, converted to the generated MapdeltaMapped.
type Out struct {
	Label  string    `json:"label"`
	Score  int       `json:"score"`
	Bonus  *int      `json:"bonus"`
	Digits []int     `json:"digits"`
	Scale  []*int    `json:"scale"`
	At     time.Time `json:"at"`
}

// Score scores a reading: count*10 plus the bonus. Digits are the
// score's decimal digits; Scale has the nonzero ones, nil for a zero.
// A device named "skip" is labelled "skip" (a where step drops it).
func Score(in In) Out {
	score := int(in.Count) * 10
	var bonus *int
	if in.Bonus != nil {
		b := int(*in.Bonus)
		bonus = &b
		score += b
	}
	var digits []int
	var scale []*int
	for _, c := range strconv.Itoa(score) {
		d := int(c - '0')
		digits = append(digits, d)
		if d == 0 {
			scale = append(scale, nil)
		} else {
			scale = append(scale, &d)
		}
	}
	return Out{Label: in.Device, Score: score, Bonus: bonus, Digits: digits, Scale: scale, At: in.At.UTC()}
}
