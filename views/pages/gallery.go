package pages

import (
	"github.com/a-h/templ"

	"github.com/sgidweb/sgidweb/views/layouts"
)

// The gallery's page ids: the id and data-testid of each page's root.
const (
	GalleryPageID       = "gallery-page"
	GalleryStatePageID  = "gallery-state"
	GalleryFramesPageID = "gallery-frames"
)

// GalleryPath is the site path of the gallery's index.
const GalleryPath = "/dev/gallery"

// GalleryStatePath is the site path of the page that shows state id alone.
func GalleryStatePath(id string) string { return GalleryPath + "/" + id }

// GalleryFramesPath is the site path of the page that shows state id at a
// phone's width and a desktop's, one under the other.
func GalleryFramesPath(id string) string { return GalleryStatePath(id) + "/frames" }

// The themes a gallery page can fix; "" follows the system.
const (
	ThemeLight = "light"
	ThemeDark  = "dark"
)

// The widths of the frames page, in CSS pixels: a common phone and a
// laptop.
const (
	PhoneWidth   = 390
	DesktopWidth = 1280
)

// GalleryProps feeds the gallery's index: every component, region and page
// in each of its states, grouped in sections.
type GalleryProps struct {
	Page     layouts.Page
	Sections []GallerySection
}

// GallerySection groups the states of one component, region or page.
type GallerySection struct {
	ID          string // kebab-case, unique in the gallery: the section's anchor
	Title       string
	Description string
	States      []GalleryState
}

// GalleryState is one component in one state.
type GalleryState struct {
	ID    string // kebab-case, unique in the gallery: its address, anchor and golden file
	Title string
	Note  string // when this state happens, in a line
	// View is the state as the site renders it.
	View templ.Component
	// WholePage marks a View that is a whole document (a page with its own
	// shell): its address shows it as it is. Any other View is shown inside
	// a gallery page.
	WholePage bool
}

// GalleryStateProps feeds the page that shows one state that is not a whole
// page.
type GalleryStateProps struct {
	Page    layouts.Page
	Section string // the title of the state's section
	State   GalleryState
	// Prev and Next are the neighbouring states' ids and titles, empty at
	// either end of the gallery.
	Prev, Next GalleryLink
}

// GalleryLink names another state.
type GalleryLink struct{ ID, Title string }

// GalleryFramesProps feeds the page that shows one state at a phone's and a
// desktop's width, each in a frame of its own.
type GalleryFramesProps struct {
	Page  layouts.Page
	State GalleryState
}

// galleryHref is the address of a gallery page in the theme the current
// page fixes, so moving around the gallery keeps the theme.
func galleryHref(sitePath, theme string) string {
	if theme == "" {
		return sitePath
	}
	return sitePath + "?theme=" + theme
}
