; Relations, models, sources and params are defined once and referenced by name.

(source_file) @local.scope

(param_declaration name: (identifier) @local.definition)
(source_declaration name: (identifier) @local.definition)
(let_declaration name: (identifier) @local.definition)
(model_declaration name: (identifier) @local.definition)

(let_declaration input: (identifier) @local.reference)
(model_declaration input: (identifier) @local.reference)
(sink_declaration input: (identifier) @local.reference)
(join right: (identifier) @local.reference)
(predict model: (identifier) @local.reference)
