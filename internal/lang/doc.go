// Package lang detects the language an article is written in. The entry
// point is Detect, which returns an ISO 639-1 code ("en", "de", …) or ""
// when it cannot tell; Codes lists the codes it can return.
//
// The model is franc's trigram profiles (the 300 commonest character
// trigrams of each language; franc by Titus Wormer, MIT) as the whatlanggo
// module ships them (read from that dependency, not copied), for the 38
// languages of Latin, Cyrillic, Arabic, Devanagari and Hebrew script that
// news is written in, scored as a naive-Bayes log likelihood with weights
// by rank, through one open-addressing table built at first use; texts in
// Greek, Thai, Korean, Japanese, Chinese and a few other scripts are named
// by their script. Detect reads the first Window characters (title first)
// and does not allocate.
//
// Why not a library's detector. Measured on the reference project's samples
// (title and the first 600 characters) and the ai-tech sample on this
// machine's CPU:
//
//	                               uplifting  commerce  µs/article  binary
//	lang (this package)            98/100     190/190      8        +0.44 MB (distill; whatlanggo's data)
//	whatlanggo v1.0.1 (84 langs)   97/100     190/190    623        +0.5 MB; no release since 2020
//	lingua-go v1.4.0 low accuracy  97/100     187/190   3010        +132 MB (all its models embed)
//	  (28 languages)
//
// The budget is ~15 µs an article (compress must stay at 10,000 articles/s
// on one core). Both libraries build maps and sort per call; whatlanggo's
// own data, scored without them, is 80 times faster. The commerce file's
// language field says "en" for 14 pages of Der Spiegel, Le Monde, 01net,
// Tecnoblog and El País that are not in English: the figures count their
// real language (against the field as written, 176, 176 and 173).
package lang
