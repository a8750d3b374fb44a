// Package textdiff compares texts line by line: a unified diff for files
// (crontab generate --diff) and a whole-text diff for small documents (the
// group data before and after an edit). One edit script serves both.
package textdiff

import (
	"fmt"
	"strings"
)

// diffContext is the number of unchanged lines shown around a change, as
// in diff -u.
const diffContext = 3

// maxLCSCells bounds the work of the exact line diff (rows x columns of
// the table, 4 bytes each): beyond it, the changed middle of the files is
// shown as removed and added whole, still correct, just less precise.
const maxLCSCells = 4 << 20

type editKind byte

const (
	same editKind = ' '
	del  editKind = '-'
	ins  editKind = '+'
)

type edit struct {
	kind editKind
	text string
}

// Unified returns a unified diff from old to new, with the given file
// labels, or "" when the texts are equal. Only lines are compared; a
// missing final newline is not marked.
func Unified(oldLabel, newLabel string, old, new []byte) string {
	if string(old) == string(new) {
		return ""
	}
	edits := lineEdits(splitLines(string(old)), splitLines(string(new)))
	var b strings.Builder
	fmt.Fprintf(&b, "--- %s\n+++ %s\n", oldLabel, newLabel)
	writeHunks(&b, edits)
	return b.String()
}

// Full returns every line of a and b marked "  " (in both), "- "
// (removed) or "+ " (added), or "" when they have the same lines.
func Full(a, b string) string {
	edits := lineEdits(splitLines(a), splitLines(b))
	if nextChange(edits, 0) < 0 {
		return ""
	}
	var sb strings.Builder
	for _, e := range edits {
		sb.WriteByte(byte(e.kind))
		sb.WriteString(" " + e.text + "\n")
	}
	return sb.String()
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// lineEdits returns an edit script from a to b: the common prefix and
// suffix, and a longest-common-subsequence diff of the middle.
func lineEdits(a, b []string) []edit {
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	var out []edit
	for _, l := range a[:pre] {
		out = append(out, edit{same, l})
	}
	out = append(out, middleEdits(a[pre:len(a)-suf], b[pre:len(b)-suf])...)
	for _, l := range a[len(a)-suf:] {
		out = append(out, edit{same, l})
	}
	return out
}

func middleEdits(a, b []string) []edit {
	var out []edit
	if len(a)*len(b) > maxLCSCells {
		for _, l := range a {
			out = append(out, edit{del, l})
		}
		for _, l := range b {
			out = append(out, edit{ins, l})
		}
		return out
	}
	// lcs[i][j] is the LCS length of a[i:] and b[j:].
	w := len(b) + 1
	lcs := make([]int32, (len(a)+1)*w)
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i*w+j] = lcs[(i+1)*w+j+1] + 1
			} else {
				lcs[i*w+j] = max(lcs[(i+1)*w+j], lcs[i*w+j+1])
			}
		}
	}
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && a[i] == b[j]:
			out = append(out, edit{same, a[i]})
			i, j = i+1, j+1
		case i < len(a) && (j == len(b) || lcs[(i+1)*w+j] >= lcs[i*w+j+1]):
			out = append(out, edit{del, a[i]}) // deletions first, as diff -u
			i++
		default:
			out = append(out, edit{ins, b[j]})
			j++
		}
	}
	return out
}

// writeHunks writes the changes with diffContext lines around them,
// merging changes that are close enough to share context.
func writeHunks(b *strings.Builder, edits []edit) {
	for start := 0; start < len(edits); {
		first := nextChange(edits, start)
		if first < 0 {
			return
		}
		lo := max(first-diffContext, 0)
		end := first
		for {
			last := end
			for last < len(edits) && edits[last].kind != same {
				last++
			}
			next := nextChange(edits, last)
			if next < 0 || next-last > 2*diffContext {
				end = min(last+diffContext, len(edits))
				break
			}
			end = next
		}
		writeHunk(b, edits, lo, end)
		start = end
	}
}

func nextChange(edits []edit, from int) int {
	for i := from; i < len(edits); i++ {
		if edits[i].kind != same {
			return i
		}
	}
	return -1
}

func writeHunk(b *strings.Builder, edits []edit, lo, hi int) {
	oldStart, newStart := 1, 1
	for _, e := range edits[:lo] {
		if e.kind != ins {
			oldStart++
		}
		if e.kind != del {
			newStart++
		}
	}
	oldN, newN := 0, 0
	for _, e := range edits[lo:hi] {
		if e.kind != ins {
			oldN++
		}
		if e.kind != del {
			newN++
		}
	}
	fmt.Fprintf(b, "@@ -%s +%s @@\n", hunkRange(oldStart, oldN), hunkRange(newStart, newN))
	for _, e := range edits[lo:hi] {
		b.WriteByte(byte(e.kind))
		b.WriteString(e.text + "\n")
	}
}

// hunkRange follows diff -u: an empty range starts at the line before.
func hunkRange(start, n int) string {
	if n == 0 {
		return fmt.Sprintf("%d,0", start-1)
	}
	if n == 1 {
		return fmt.Sprintf("%d", start)
	}
	return fmt.Sprintf("%d,%d", start, n)
}
