package detect

// osaDistance is the optimal string alignment (restricted Damerau-Levenshtein) distance between
// a and b in runes: insertions, deletions, substitutions and transpositions of neighbours each
// cost one. It gives up and returns limit+1 as soon as the distance must exceed limit.
func osaDistance(a, b string, limit int) int {
	return editDistance(a, b, limit, true)
}

// EditDistance is osaDistance for other packages (the config's "did you mean").
func EditDistance(a, b string, limit int) int { return osaDistance(a, b, limit) }

// levenshtein is the plain edit distance in runes (the XSOAR rule's measure), bounded like
// osaDistance.
func levenshtein(a, b string, limit int) int {
	return editDistance(a, b, limit, false)
}

func editDistance(a, b string, limit int, transpose bool) int {
	if !transpose && isASCIIString(a) && isASCIIString(b) {
		return asciiLevenshtein(a, b, limit)
	}
	var bufA, bufB [64]rune
	ra, rb := toRunes(a, bufA[:0]), toRunes(b, bufB[:0])
	if d := len(ra) - len(rb); d > limit || -d > limit {
		return limit + 1
	}
	n := len(rb)
	var rows [3][65]int
	var prev2, prev, cur []int
	if n < 65 {
		prev2, prev, cur = rows[0][:n+1], rows[1][:n+1], rows[2][:n+1]
	} else {
		prev2, prev, cur = make([]int, n+1), make([]int, n+1), make([]int, n+1)
	}
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		rowMin := i
		for j := 1; j <= n; j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if transpose && i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = v
			rowMin = min(rowMin, v)
		}
		if rowMin > limit {
			return limit + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return min(prev[n], limit+1)
}

func toRunes(s string, buf []rune) []rune {
	for _, r := range s {
		buf = append(buf, r)
	}
	return buf
}

func runeLen(s string) int {
	n := 0
	for range s {
		n++
	}
	return n
}

// similarity is the XSOAR measure, 1 - levenshtein/max(len), or 0 when the distance exceeds
// limit.
func similarity(a, b string, limit int) float64 {
	la, lb := runeLen(a), runeLen(b)
	m := max(la, lb)
	if m == 0 {
		return 0
	}
	d := levenshtein(a, b, limit)
	if d > limit {
		return 0
	}
	return 1 - float64(d)/float64(m)
}

// maxDistanceFor is the largest edit distance that can still give similarity > threshold between
// strings whose longer one has n runes.
func maxDistanceFor(n int, threshold float64) int {
	d := 0
	for 1-float64(d+1)/float64(n) > threshold {
		d++
	}
	return d
}

// asciiLevenshtein is levenshtein for ASCII strings: the common prefix and suffix are dropped
// first (they never change the distance), which answers most bounded comparisons of a label with
// a near-identical homograph at once, and the rest runs on bytes.
func asciiLevenshtein(a, b string, limit int) int {
	if d := len(a) - len(b); d > limit || -d > limit {
		return limit + 1
	}
	p := 0
	for p < len(a) && p < len(b) && a[p] == b[p] {
		p++
	}
	a, b = a[p:], b[p:]
	s := 0
	for s < len(a) && s < len(b) && a[len(a)-1-s] == b[len(b)-1-s] {
		s++
	}
	a, b = a[:len(a)-s], b[:len(b)-s]
	switch {
	case len(a) == 0 || len(b) == 0:
		return min(max(len(a), len(b)), limit+1)
	case len(a) == 1 && len(b) == 1:
		return min(1, limit+1)
	case limit <= 1:
		return limit + 1 // both rests differ in their first and last bytes: two edits at least
	}
	n := len(b)
	var rows [2][65]int
	var prev, cur []int
	if n < 65 {
		prev, cur = rows[0][:n+1], rows[1][:n+1]
	} else {
		prev, cur = make([]int, n+1), make([]int, n+1)
	}
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := i
		for j := 1; j <= n; j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			cur[j] = v
			rowMin = min(rowMin, v)
		}
		if rowMin > limit {
			return limit + 1
		}
		prev, cur = cur, prev
	}
	return min(prev[n], limit+1)
}
