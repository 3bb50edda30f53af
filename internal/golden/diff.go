package golden

import (
	"fmt"
	"strings"
)

// contextLines is how many unchanged lines a diff shows around a change.
const contextLines = 3

// maxDiffCells bounds the work of the line diff; beyond it the diff shows
// only the first differing line.
const maxDiffCells = 4_000_000

// Diff returns a line diff of want and got: "-" lines are only in want,
// "+" lines only in got, with a little unchanged context and the line
// numbers of each hunk.
func Diff(want, got string) string {
	a := strings.Split(strings.TrimSuffix(want, "\n"), "\n")
	b := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	if len(a)*len(b) > maxDiffCells {
		for i := 0; i < len(a) && i < len(b); i++ {
			if a[i] != b[i] {
				return fmt.Sprintf("first difference at line %d:\n- %s\n+ %s\n", i+1, a[i], b[i])
			}
		}
		return fmt.Sprintf("one is a prefix of the other (%d lines vs %d)\n", len(a), len(b))
	}

	// lcs[i][j] is the length of the longest common subsequence of a[i:] and b[j:].
	lcs := make([][]int, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}

	type op struct {
		kind         byte // ' ', '-', '+'
		text         string
		aLine, bLine int
	}
	var ops []op
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && a[i] == b[j]:
			ops = append(ops, op{' ', a[i], i + 1, j + 1})
			i++
			j++
		case i < len(a) && (j == len(b) || lcs[i+1][j] >= lcs[i][j+1]):
			ops = append(ops, op{'-', a[i], i + 1, j + 1})
			i++
		default:
			ops = append(ops, op{'+', b[j], i + 1, j + 1})
			j++
		}
	}

	var out strings.Builder
	for k := 0; k < len(ops); {
		if ops[k].kind == ' ' {
			k++
			continue
		}
		// A hunk: from contextLines before this change to contextLines
		// after the last change that is close enough to join it.
		start := max(0, k-contextLines)
		end := k
		for end < len(ops) {
			if ops[end].kind != ' ' {
				end++
				continue
			}
			next := end
			for next < len(ops) && ops[next].kind == ' ' {
				next++
			}
			if next == len(ops) || next-end > 2*contextLines {
				end = min(len(ops), end+contextLines)
				break
			}
			end = next
		}
		fmt.Fprintf(&out, "@@ golden line %d, now line %d @@\n", ops[start].aLine, ops[start].bLine)
		for _, o := range ops[start:end] {
			fmt.Fprintf(&out, "%c %s\n", o.kind, o.text)
		}
		k = end
	}
	return out.String()
}
