package oracle_test

import (
	"context"
	"testing"

	"github.com/distillery/distillery/stages/label/oracle"
	"github.com/distillery/distillery/stages/label/oracle/oracletest"
)

func TestGemini_Conformance(t *testing.T) {
	oracletest.Run(t, oracletest.Gemini, func(t *testing.T, at oracletest.Target) oracle.Oracle {
		g, err := oracle.NewGemini(context.Background(), oracletest.GeminiModel, at.URL, at.Timeout)
		if err != nil {
			t.Fatal(err)
		}
		return g
	})
}

func TestOpenAI_Conformance(t *testing.T) {
	oracletest.Run(t, oracletest.OpenAI, func(t *testing.T, at oracletest.Target) oracle.Oracle {
		o, err := oracle.NewOpenAI(oracletest.OpenAIModel, at.URL+"/v1", at.Timeout)
		if err != nil {
			t.Fatal(err)
		}
		return o
	})
}

func TestKeywords_Conformance(t *testing.T) {
	oracletest.Run(t, nil, func(t *testing.T, at oracletest.Target) oracle.Oracle {
		return oracle.NewKeywords(at.Filter)
	})
}
