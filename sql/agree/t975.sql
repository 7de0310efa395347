-- The 97.5% quantile of Student's t with df degrees of freedom, for a 95%
-- interval of a mean from few articles (a person's review of a dozen): the
-- table's values for df 1 to 5, then the Cornish-Fisher expansion around
-- the normal's 1.959964 (within 0.003 of the table from df 6; 1.96 as df
-- grows). NULL below df 1.
-- Creates: the macro t975(df) -> DOUBLE.
CREATE OR REPLACE TEMP MACRO t975(df) AS
    CASE
        WHEN df < 1 THEN NULL
        WHEN df = 1 THEN 12.7062
        WHEN df = 2 THEN 4.3027
        WHEN df = 3 THEN 3.1824
        WHEN df = 4 THEN 2.7764
        WHEN df = 5 THEN 2.5706
        ELSE 1.959964
             + (1.959964 ^ 3 + 1.959964) / (4 * df)
             + (5 * 1.959964 ^ 5 + 16 * 1.959964 ^ 3 + 3 * 1.959964) / (96 * df ^ 2)
             + (3 * 1.959964 ^ 7 + 19 * 1.959964 ^ 5 + 17 * 1.959964 ^ 3 - 15 * 1.959964) / (384 * df ^ 3)
    END
