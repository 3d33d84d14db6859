; Sluice highlights. Every token class of the DSL has a capture.

(comment) @comment

; The general case first: more specific patterns below take precedence.
(identifier) @variable

[
  "pipeline" "param" "source" "stream" "let" "model" "sink"
] @keyword

[
  "filter" "select" "drop" "derive" "rename" "cast" "distinct" "fill_null" "drop_null"
  "group" "window" "watermark" "sort" "take" "intersect" "except" "join" "union" "sample" "split" "explode" "pivot" "unpivot" "repartition"
  "fit" "cross_validate" "predict" "evaluate"
] @keyword.operator

(transformer) @keyword.operator

[
  "on" "seed" "stratify" "nulls" "first" "last" "asc" "desc"
  "by" "name" "cross" "offset" "order" "rows" "range" "between" "unbounded" "preceding" "following" "current" "row" "with" "position" "rollup" "cube" "grouping" "sets" "asof" "within" "into" "delay" "late"
  "inner" "left" "right" "full" "semi" "anti"
  "mean" "median" "mode"
] @keyword.modifier

[ "case" "when" "then" "else" "end" ] @keyword.conditional

[ "and" "or" "not" "in" "as" ] @keyword.operator

[
  "==" "!=" "<" "<=" ">" ">=" "<=>" "+" "-" "*" "/" "%" "=" "->" "|"
] @operator

[ "(" ")" "[" "]" "{" "}" ] @punctuation.bracket
[ "," ":" ] @punctuation.delimiter
"?" @punctuation.special

(string) @string
(escape_sequence) @string.escape
(integer) @number
(float) @number.float
(duration) @number
(boolean) @boolean
(null) @constant.builtin

(type) @type

(hint "@" @attribute name: (identifier) @attribute)

(call function: (identifier) @function.call)

(event_window kind: _ @function.builtin)

(argument name: (identifier) @variable.parameter)

(pipeline_header name: (identifier) @module)
(param_declaration name: (identifier) @constant)
(source_declaration name: (identifier) @variable)
(source_declaration format: (identifier) @function.builtin)
(sink_declaration format: (identifier) @function.builtin)
(let_declaration name: (identifier) @variable)
(model_declaration name: (identifier) @type.definition)
(predict model: (identifier) @type.definition)

(quoted_identifier) @property
(name (identifier) @property)
(assignment name: (identifier) @property)
(schema_field name: (identifier) @property)
