package button_test

import (
	"context"
	"strings"
	"testing"

	"github.com/a-h/templ"

	"github.com/sgidweb/sgidweb/views/components/button"
)

func TestSubmitPassesAttributesThrough(t *testing.T) {
	for _, tc := range []struct {
		attrs templ.Attributes
		want  string
	}{
		{nil, `<button type="submit" class="button button--primary">Go</button>`},
		{templ.Attributes{"name": "persona", "value": "a&b"}, `<button type="submit" class="button button--primary" name="persona" value="a&amp;b">Go</button>`},
	} {
		var sb strings.Builder
		if err := button.Submit(button.Props{Label: "Go", Attributes: tc.attrs}).Render(context.Background(), &sb); err != nil {
			t.Fatal(err)
		}
		if sb.String() != tc.want {
			t.Errorf("attributes %v: want %s, got %s", tc.attrs, tc.want, sb.String())
		}
	}
}
