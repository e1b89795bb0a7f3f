// Package keyboard holds the keyboard layouts typists use most (US, German, French), for making
// and for recognising typos where a finger slipped to a neighbouring key.
package keyboard

import "strings"

// Layouts are the digit and letter rows of QWERTY, QWERTZ and AZERTY.
var Layouts = [][4]string{
	{"1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm"}, // qwerty
	{"1234567890", "qwertzuiop", "asdfghjkl", "yxcvbnm"}, // qwertz
	{"1234567890", "azertyuiop", "qsdfghjklm", "wxcvbn"}, // azerty
}

// Neighbours maps each key of each layout (in Layouts order) to the keys around it: left and
// right on its row, the two keys above (same index and the next, rows being shifted right as
// they go down) and the two below (previous index and the same).
var Neighbours = func() []map[rune]string {
	var out []map[rune]string
	for _, rows := range Layouts {
		m := map[rune]string{}
		at := func(row, i int) string {
			if row < 0 || row >= len(rows) || i < 0 || i >= len(rows[row]) {
				return ""
			}
			return rows[row][i : i+1]
		}
		for r, row := range rows {
			for i := range len(row) {
				m[rune(row[i])] = at(r-1, i) + at(r-1, i+1) + at(r, i-1) + at(r, i+1) + at(r+1, i-1) + at(r+1, i)
			}
		}
		out = append(out, m)
	}
	return out
}()

// Adjacent reports whether a and b are neighbouring keys on any of the layouts.
func Adjacent(a, b rune) bool {
	for _, m := range Neighbours {
		if strings.ContainsRune(m[a], b) {
			return true
		}
	}
	return false
}
