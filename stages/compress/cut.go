package compress

import "strings"

// Body is a rendered text without its header lines.
func Body(text string) string {
	header := strings.HasPrefix(text, "Title: ") || strings.HasPrefix(text, "Source: ") || strings.HasPrefix(text, "Date: ")
	if i := strings.Index(text, "\n\n"); i >= 0 && header {
		return text[i+2:]
	}
	return text
}

// Removed is what Render cuts out of an article's content before choosing
// the head and tail, as byte ranges of a.Content in order: the source's
// learned furniture, and the lines the rules drop. Render sees the content
// with each learned span as a line break, so a line split by furniture is
// judged piece by piece, as here.
func Removed(a Article, s Settings) []Span {
	var learned []Span
	if sm := s.Model.For(a.Site()); s.Learn && sm != nil {
		learned = sm.Cut(a.Content)
	}
	var out []Span
	add := func(sp Span) {
		if n := len(out); n > 0 && out[n-1].End >= sp.Start {
			out[n-1].End = max(out[n-1].End, sp.End)
			return
		}
		out = append(out, sp)
	}
	pos := 0
	for _, sp := range append(learned, Span{len(a.Content), len(a.Content)}) {
		for start := pos; start < sp.Start; {
			end := strings.IndexByte(a.Content[start:sp.Start], '\n')
			if end < 0 {
				end = sp.Start
			} else {
				end += start
			}
			if line := a.Content[start:end]; strings.TrimSpace(line) != "" && cleanLine(line, s.Boilerplate) == "" {
				add(Span{start, end})
			}
			start = end + 1
		}
		if sp.Start < sp.End {
			add(sp)
		}
		pos = sp.End
	}
	return out
}
