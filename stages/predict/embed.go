package predict

import (
	"context"
	"database/sql"

	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/students"
	"github.com/distillery/distillery/students/lora"
	"github.com/distillery/distillery/students/probe"
)

// embedBatch is how many texts an embed model encodes at once (the
// encoder spreads a batch over every core).
const embedBatch = 4096

// predictEmbed scores the rows of query with an embed model and the copy
// of its encoder in its folder (never the lake's encoders/, which distill
// embed may have refitted since), a batch at a time, in the query's order.
// A model trained on a sentence encoder starts the trainer on the folder
// it names, with python (--python), else $DISTILL_PYTHON, else the Python
// it was trained with.
func predictEmbed(ctx context.Context, sess *lake.Session, query string, m *students.Model, l *lake.Lake, python string, emit func(scored), rb *lake.RowBuilder) error {
	model, enc, err := probe.OpenWith(ctx, m.Dir(l), lora.Python(python, m.Python()))
	if err != nil {
		return err
	}
	defer enc.Close()
	var batch []scored
	var texts []string
	flush := func() error {
		if len(texts) == 0 {
			return nil
		}
		preds, err := model.PredictTexts(ctx, enc, texts)
		if err != nil {
			return err
		}
		for i, p := range preds {
			if rb != nil && rb.Stopped() { // nil: Score, no table written
				return ctx.Err()
			}
			batch[i].scores = p
			emit(batch[i])
		}
		batch, texts = batch[:0], texts[:0]
		return nil
	}
	err = sess.Each(ctx, query, func(rows *sql.Rows) error {
		var s scored
		var text string
		var split sql.NullString
		if err := rows.Scan(&s.id, &text, &split); err != nil {
			return err
		}
		s.split = split.String
		batch, texts = append(batch, s), append(texts, text)
		if len(texts) >= embedBatch {
			return flush()
		}
		return nil
	})
	if err != nil {
		return err
	}
	return flush()
}
