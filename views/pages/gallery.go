package pages

import (
	"github.com/sgidweb/sgidweb/views/components/button"
	"github.com/sgidweb/sgidweb/views/layouts"
)

// GalleryPageID is the id and data-testid of the component gallery's root.
const GalleryPageID = "gallery-page"

// GalleryProps feeds the component gallery: every component and region in
// each of its states.
type GalleryProps struct {
	Page     layouts.Page
	Sections []GallerySection
}

// GallerySection groups the states of one component or region.
type GallerySection struct {
	ID          string // kebab-case, unique on the page: the section's id
	Title       string
	Description string
	States      []GalleryState
}

// GalleryState is one component in one state. Exactly one of the component
// fields is set; the gallery shows it in both themes at phone and desktop
// widths.
type GalleryState struct {
	ID    string // kebab-case, unique across the gallery: anchors, test ids and golden file names
	Title string
	Note  string // when this state happens, in a line

	Shell       *layouts.Page // the site header and footer
	Button      *button.Props
	LoginButton *LoginButtonProps
	Flash       *Flash
	Consent     *ConsentStatusProps
	Profile     *ProfileProps
	Error       *ErrorProps
}

// GalleryTheme is a value of the data-theme attribute.
type GalleryTheme string

// GalleryWidth is the width of a specimen frame.
type GalleryWidth string

// The themes and widths each state is shown in.
const (
	ThemeLight GalleryTheme = "light"
	ThemeDark  GalleryTheme = "dark"

	WidthPhone   GalleryWidth = "phone"   // 360 CSS pixels
	WidthDesktop GalleryWidth = "desktop" // 1024 CSS pixels
)

// GalleryThemes and GalleryWidths list the frames of every state, in order.
var (
	GalleryThemes = []GalleryTheme{ThemeLight, ThemeDark}
	GalleryWidths = []GalleryWidth{WidthPhone, WidthDesktop}
)

func (w GalleryWidth) label() string {
	if w == WidthPhone {
		return "phone, 360 px"
	}
	return "desktop, 1024 px"
}

func (t GalleryTheme) label() string {
	if t == ThemeDark {
		return "Dark"
	}
	return "Light"
}

// FrameTestID names the frame that shows state id in a theme and width.
func FrameTestID(id string, t GalleryTheme, w GalleryWidth) string {
	return "frame-" + id + "-" + string(t) + "-" + string(w)
}
