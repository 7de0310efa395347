// Package sample writes the demo corpus: a deterministic (by seed) mix of
// clean-tech articles at every stage of deployment, lab results, announced
// plans and unrelated news, in the content-aggregator JSONL format. The
// entry point is Write.
package sample

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"time"
)

// Kind is what an article is about; the demo's later stages should recover it.
type Kind string

// The kinds of articles the sample holds, roughly in the shares of Mix.
const (
	Deployed   Kind = "deployed"
	Commercial Kind = "early_commercial"
	Pilot      Kind = "pilot"
	Lab        Kind = "lab_or_vaporware"
	Unrelated  Kind = "unrelated"
)

// Mix is the share of each kind in a sample.
var Mix = []struct {
	Kind  Kind
	Share float64
}{{Deployed, 0.10}, {Commercial, 0.10}, {Pilot, 0.12}, {Lab, 0.13}, {Unrelated, 0.55}}

// Article is one generated article in the content-aggregator format.
type Article struct {
	ID            string `json:"id"`
	Title         string `json:"title"`
	Content       string `json:"content"`
	Description   string `json:"description"`
	PublishedDate string `json:"published_date"`
	Source        string `json:"source"`
	URL           string `json:"url"`
	Kind          Kind   `json:"sample_kind"`
}

var (
	techs = []struct{ name, unit, thing string }{
		{"solar farm", "MW", "photovoltaic panels"}, {"offshore wind farm", "MW", "turbines"},
		{"grid-scale battery", "MWh", "lithium iron phosphate cells"}, {"green hydrogen electrolyser", "MW", "electrolysis stacks"},
		{"geothermal plant", "MW", "production wells"}, {"heat pump programme", "homes", "air-source heat pumps"},
		{"electric bus fleet", "buses", "charging depots"}, {"carbon capture unit", "tonnes a year", "absorber columns"},
		{"onshore wind project", "MW", "turbines"}, {"district heating network", "homes", "heat exchangers"},
	}
	places = []string{"Texas", "South Australia", "Rajasthan", "the North Sea", "Bavaria", "Chile's Atacama desert",
		"Ontario", "Kenya's Rift Valley", "Jutland", "Queensland", "Andalusia", "Gujarat", "California's Central Valley", "Scotland"}
	companies = []string{"Ørsted", "NextEra Energy", "Iberdrola", "Enel Green Power", "Fortescue", "Northvolt", "Vestas",
		"Siemens Gamesa", "Fluence", "Climeworks", "Octopus Energy", "Tata Power", "Engie", "a regional utility"}
	sources = []string{"energy_utilities_pv_magazine", "cleantechnica", "reuters_business", "bbc_news", "the_verge",
		"techcrunch", "guardian_environment", "bloomberg_green", "local_herald", "sports_daily"}
	unrelated = []struct{ title, body string }{
		{"%s wins the cup after a dramatic penalty shoot-out", "The match went to penalties after a goalless draw. The captain said the squad had trained for this moment all season, and fans celebrated late into the night."},
		{"Central bank holds interest rates as inflation cools in %s", "Policymakers voted to keep rates unchanged. Analysts expect a cut later in the year if wage growth keeps slowing, though some warned that housing costs remain high."},
		{"New AI model tops coding benchmark, says %s lab", "The company claims its latest language model solves more programming tasks than rivals. Independent researchers cautioned that benchmark scores do not always reflect real-world use."},
		{"Film festival in %s opens with a record number of premieres", "Organisers said ticket sales were the highest in a decade. The opening film, a period drama, drew a standing ovation from the audience."},
		{"Election campaign in %s enters its final week", "Candidates crossed the region to court undecided voters. Polls show a tight race, with turnout expected to decide the outcome."},
		{"Smartphone maker unveils foldable handset at %s launch", "The device has a larger hinge and a brighter screen. Reviewers praised the camera but questioned the price."},
		{"Hospital in %s trials shorter waiting lists with new triage system", "Doctors said patients were seen faster in the first month. Unions asked for more staff before the system is rolled out further."},
		{"Chess prodigy from %s becomes youngest grandmaster this year", "The fourteen-year-old secured the final norm at an open tournament. Her coach said she studies for six hours a day."},
	}
)

// Write writes n articles generated from seed as JSONL and returns them.
func Write(w io.Writer, n int, seed uint64) ([]Article, error) {
	return WriteBatch(w, Batch{N: n, Seed: seed})
}

// Share is one kind's share of a batch.
type Share struct {
	Kind  Kind
	Share float64
}

// Batch says what WriteBatch generates: N articles from Seed, in the
// shares of Mix (nil: the package's Mix), published over Days days from
// From (zero: 700 days from 2024-01-01), with ids Prefix-00001, ...
// (Prefix "": sample). A batch whose mix differs from the demo's is a
// planted shift for distill drift.
type Batch struct {
	N      int
	Seed   uint64
	Mix    []Share
	From   time.Time
	Days   int
	Prefix string
}

// WriteBatch writes the batch b as JSONL and returns its articles.
func WriteBatch(w io.Writer, b Batch) ([]Article, error) {
	r := rand.New(rand.NewPCG(b.Seed, b.Seed*2654435761+1))
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	out := make([]Article, 0, b.N)
	base, days, prefix, mix := b.From, b.Days, b.Prefix, b.Mix
	if base.IsZero() {
		base = time.Date(2024, 1, 1, 8, 0, 0, 0, time.UTC)
	}
	if days <= 0 {
		days = 700
	}
	if prefix == "" {
		prefix = "sample"
	}
	if mix == nil {
		for _, m := range Mix {
			mix = append(mix, Share{m.Kind, m.Share})
		}
	}
	for i := 0; i < b.N; i++ {
		kind := pickKind(r, mix)
		a := article(r, kind)
		a.ID = fmt.Sprintf("%s-%05d", prefix, i+1)
		a.PublishedDate = base.Add(time.Duration(r.IntN(days*24)) * time.Hour).Format(time.RFC3339)
		a.URL = fmt.Sprintf("https://news.example.org/%s/%s", a.Source, a.ID)
		a.Kind = kind
		if err := enc.Encode(a); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

func pickKind(r *rand.Rand, mix []Share) Kind {
	x := r.Float64()
	for _, m := range mix {
		if x < m.Share {
			return m.Kind
		}
		x -= m.Share
	}
	return Unrelated
}

func pick[T any](r *rand.Rand, s []T) T { return s[r.IntN(len(s))] }

func article(r *rand.Rand, kind Kind) Article {
	t := pick(r, techs)
	place, co := pick(r, places), pick(r, companies)
	size := 20 + r.IntN(980)
	var title string
	var paras []string
	switch kind {
	case Deployed:
		title = pick(r, []string{
			"%[1]d %[2]s %[3]s in %[4]s begins commercial operation",
			"%[5]s switches on %[1]d %[2]s %[3]s in %[4]s",
			"%[4]s %[3]s completes first full year of operation",
		})
		paras = []string{
			fmt.Sprintf("The %d %s %s built by %s in %s is now fully operational and delivering power to the grid, the operator said on Monday.", size, t.unit, t.name, co, place),
			fmt.Sprintf("Since commissioning, the %s have run at an availability of %d%%, and the site has supplied electricity to about %d,000 households. Output data published by the grid operator confirm %d GWh generated in the first quarter.", t.thing, 93+r.IntN(6), 10+r.IntN(300), 20+r.IntN(400)),
			fmt.Sprintf("%s said the project avoids roughly %d,000 tonnes of CO2 emissions a year, and that a second phase is already under construction after the first reached financial close ahead of schedule.", co, 30+r.IntN(700)),
			"Independent engineers verified the installation, and the regulator granted a long-term operating licence.",
		}
	case Commercial:
		title = pick(r, []string{
			"%[5]s signs first commercial contracts for %[3]s technology",
			"First paying customers for %[5]s %[3]s in %[4]s",
			"%[5]s begins selling %[3]s systems after certification",
		})
		paras = []string{
			fmt.Sprintf("%s has signed its first commercial supply agreements for its %s, with deliveries to customers in %s starting this year.", co, t.name, place),
			fmt.Sprintf("The company expects to install %d %s by the end of next year. Revenue remains small, and early units are being monitored closely for performance against warranty terms.", size, t.unit),
			fmt.Sprintf("Analysts said the orders show demand beyond subsidised projects, though scaling manufacturing of the %s will be the real test.", t.thing),
		}
	case Pilot:
		title = pick(r, []string{
			"Pilot %[3]s tested at %[4]s site",
			"%[5]s launches demonstration %[3]s in %[4]s",
			"Trial of %[3]s in %[4]s reports early results",
		})
		paras = []string{
			fmt.Sprintf("A pilot %s has started operating at a test site in %s, run by %s with support from a government innovation grant.", t.name, place, co),
			fmt.Sprintf("The demonstration unit is rated at %d %s, a fraction of a commercial installation. Engineers will collect data for eighteen months to validate the design of the %s.", 1+r.IntN(20), t.unit, t.thing),
			"If the trial meets its targets, the partners say they could take an investment decision on a full-scale plant within three years.",
		}
	case Lab:
		if r.IntN(2) == 0 {
			title = pick(r, []string{
				"Researchers report breakthrough %[3]s efficiency in the laboratory",
				"Lab prototype could transform %[3]s, scientists say",
			})
			paras = []string{
				fmt.Sprintf("Scientists at a university laboratory say a new material could make %s far cheaper. In tests on samples a few centimetres across, the team measured record efficiency.", t.thing),
				"The results, published in a peer-reviewed journal, have not been reproduced outside the lab, and the authors said commercial products are at least a decade away.",
				"Several startups hope to license the technology, but none has built a working prototype at scale.",
			}
		} else {
			title = pick(r, []string{
				"%[5]s unveils plans for the world's largest %[3]s by 2035",
				"Startup promises revolutionary %[3]s that will end fossil fuels",
			})
			paras = []string{
				fmt.Sprintf("%s announced ambitious plans for a %d %s %s in %s, which it says could be built by 2035 if financing is secured.", co, size*10, t.unit, t.name, place),
				"No site has been acquired, no permits have been filed, and the company did not say who would pay for the project. A spokesperson described the concept as visionary and game-changing.",
				"Experts were sceptical, noting that similar announcements in recent years have not progressed beyond press releases.",
			}
		}
	default:
		u := pick(r, unrelated)
		title = fmt.Sprintf(u.title, place)
		paras = []string{u.body, "Officials are expected to comment further next week.", fmt.Sprintf("Reporting from %s.", place)}
	}
	if kind != Unrelated {
		title = fmt.Sprintf(title, size, t.unit, t.name, place, co)
		title = strings.ToUpper(title[:1]) + title[1:]
	}
	r.Shuffle(len(paras)-1, func(i, j int) { paras[i+1], paras[j+1] = paras[j+1], paras[i+1] })
	src := pick(r, sources)
	if kind == Unrelated && strings.Contains(title, "cup") {
		src = "sports_daily"
	}
	return Article{Title: title, Content: strings.Join(paras, "\n\n"), Description: paras[0], Source: src}
}
