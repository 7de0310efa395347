package bundle

import (
	"fmt"
	"strings"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/students"
)

// readme is README.txt: what the folder is and how to use it.
func readme(m *students.Model, pkg *filters.Filter) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Model %s (%s) of the filter %s v%d, exported by distill model export.\n\n", m.ID, m.Backend, pkg.Name, pkg.Version)
	b.WriteString(`Files
  manifest.json     the model's row, the filter's sha256, the scoring rules (weights,
                    gatekeepers, tiers) and the sha256 and size of every other file
  weights/          the student: linear.json (linear), probe.json + encoder/ (embed),
                    or the LoRA adapter, regression head and tokenizer (lora);
                    weights/merged/ (lora, export --merged): the adapter folded into
                    the base's weights, a plain transformers folder for serving
  calibration.json  per-dimension isotonic maps (only for a calibrated model)
  filter/           the filter package the model was trained for
  predict.py        scores articles with this folder, without distill

Predict
  python predict.py . < articles.jsonl > scores.jsonl
  Each input line is {"id": ..., "text": ...} (the compressed text, as distill's
  <filter>.compressed holds it); each output line is {"id", one key per dimension,
  "overall", "tier"}. linear needs only the Python standard library; embed needs
  numpy; lora needs torch, transformers and peft, and the base model named in
  manifest.json (or --base-model PATH); with weights/merged/ only torch and
  transformers.

Check
  distill model verify DIR [--lake LAKE]: every file's sha256, and that distill,
  loading only this folder, predicts what the lake recorded for a sample of articles.
`)
	return b.String()
}
