// Package breakable lays out long unbroken values, such as email addresses
// and web addresses, so a narrow screen wraps them where a reader expects
// (after "@", before ".") instead of in the middle of a word.
package breakable

import (
	"context"
	"io"
	"strings"

	"github.com/a-h/templ"
)

// Text renders value with a <wbr> between its Segments. <wbr> adds no
// character, so the text a reader copies is the value unchanged. It is
// written in Go rather than in a .templ file because templ puts a space
// between a text expression and an element on lines of their own.
func Text(value string) templ.Component {
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		for i, segment := range Segments(value) {
			if i > 0 {
				if _, err := io.WriteString(w, "<wbr>"); err != nil {
					return err
				}
			}
			if _, err := io.WriteString(w, templ.EscapeString(segment)); err != nil {
				return err
			}
		}
		return nil
	})
}

// Segments splits value into the pieces between which a line may break.
// Only words that read as an email address ("@") or a web address ("://")
// are split: a name, a date or "12.50" stays whole. In such a word a line
// may break after "@" or a run of "/", and before ".", "?", "&" or "#".
// Joined, the segments are value unchanged.
func Segments(value string) []string {
	var segments []string
	start := 0
	for _, word := range words(value) {
		if !strings.Contains(word.text, "@") && !strings.Contains(word.text, "://") {
			continue
		}
		for i := 1; i < len(word.text); i++ {
			prev, next := word.text[i-1], word.text[i]
			afterMark := prev == '@' || (prev == '/' && next != '/')
			beforeMark := strings.IndexByte(".?&#", next) >= 0 && prev != '/'
			if afterMark || beforeMark {
				at := word.start + i
				segments = append(segments, value[start:at])
				start = at
			}
		}
	}
	return append(segments, value[start:])
}

type word struct {
	text  string
	start int // byte offset in the value
}

// words finds the runs of non-space characters in value with their offsets.
func words(value string) []word {
	var found []word
	start := -1
	for i, r := range value {
		space := r == ' ' || r == '\t' || r == '\n' || r == '\r'
		switch {
		case space && start >= 0:
			found = append(found, word{value[start:i], start})
			start = -1
		case !space && start < 0:
			start = i
		}
	}
	if start >= 0 {
		found = append(found, word{value[start:], start})
	}
	return found
}
