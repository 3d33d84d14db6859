; Declarations fold as a whole; so do blocks.

[
  (let_declaration)
  (model_declaration)
  (source_declaration)
  (schema_block)
  (assignment_block)
  (arguments)
] @fold
