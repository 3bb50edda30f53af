package session

import "strings"

// BrowserName names a browser coarsely from its User-Agent ("Chrome on
// Windows", "Safari on iPhone"), for a person's list of their sessions:
// enough to tell their phone from their laptop, nothing that would
// fingerprint them. Order matters: Edge and Opera say Chrome, Chrome says
// Safari, and iPhones say "like Mac OS X".
func BrowserName(userAgent string) string {
	ua := userAgent
	if len(ua) > 512 {
		ua = ua[:512]
	}
	browser := firstMatch(ua, []nameRule{
		{"Edg", "Edge"},
		{"OPR/", "Opera"},
		{"SamsungBrowser/", "Samsung Internet"},
		{"Firefox/", "Firefox"},
		{"FxiOS/", "Firefox"},
		{"CriOS/", "Chrome"},
		{"Chrome/", "Chrome"},
		{"Safari/", "Safari"},
	})
	system := firstMatch(ua, []nameRule{
		{"iPhone", "iPhone"},
		{"iPad", "iPad"},
		{"Android", "Android"},
		{"Windows", "Windows"},
		{"CrOS", "ChromeOS"},
		{"Mac OS X", "Mac"},
		{"Macintosh", "Mac"},
		{"Linux", "Linux"},
	})
	switch {
	case browser != "" && system != "":
		return browser + " on " + system
	case browser != "":
		return browser
	case system != "":
		return "A browser on " + system
	}
	return "Unknown browser"
}

type nameRule struct{ marker, name string }

func firstMatch(ua string, rules []nameRule) string {
	for _, r := range rules {
		if strings.Contains(ua, r.marker) {
			return r.name
		}
	}
	return ""
}
