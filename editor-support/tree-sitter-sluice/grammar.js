/**
 * Tree-sitter grammar for the Sluice pipeline DSL (`*.sluice`). It follows the pest
 * grammar in compiler/src/syntax/sluice.pest, which stays the reference: declarations
 * (pipeline, param, source, let, model, sink), pipe steps, hints and expressions.
 */

const PREC = {
  or: 1,
  and: 2,
  not: 3,
  compare: 4,
  in: 5,
  add: 6,
  mul: 7,
  unary: 8,
  cast: 9,
  index: 10,
};

const commaSep1 = (rule) => seq(rule, repeat(seq(',', rule)));
const commaSepTrailing = (rule) => optional(seq(commaSep1(rule), optional(',')));

module.exports = grammar({
  name: 'sluice',

  extras: ($) => [/\s/, $.comment],

  word: ($) => $.bare_identifier,

  // `watermark ts delay d (late = x)`: `d (` may start a call until `late` is read.
  conflicts: ($) => [[$.call, $.name]],

  rules: {
    source_file: ($) => seq(optional($.pipeline_header), repeat($._item)),

    comment: (_) => token(seq('#', /.*/)),

    pipeline_header: ($) => seq('pipeline', field('name', $.identifier)),

    _item: ($) => choice($.param_declaration, $.source_declaration, $.let_declaration, $.model_declaration, $.sink_declaration),

    param_declaration: ($) =>
      seq('param', field('name', $.identifier), optional(seq(':', field('type', $.type))), optional(seq('=', field('default', $._expression)))),

    source_declaration: ($) =>
      seq(
        choice('source', 'stream'),
        field('name', $.identifier),
        '=',
        field('format', $.identifier),
        '(',
        optional($.arguments),
        ')',
        optional($.schema_block),
        repeat($.hint),
      ),

    let_declaration: ($) =>
      seq('let', commaSep1(field('name', $.identifier)), '=', field('input', $.identifier), repeat($.step), repeat($.hint)),

    model_declaration: ($) => seq('model', field('name', $.identifier), '=', field('input', $.identifier), repeat($.step)),

    sink_declaration: ($) =>
      seq('sink', field('input', $.identifier), '->', field('format', $.identifier), optional(seq('(', optional($.arguments), ')'))),

    schema_block: ($) => seq('{', commaSepTrailing($.schema_field), '}'),
    schema_field: ($) => seq(field('name', $.identifier), ':', field('type', $.type)),

    hint: ($) => seq('@', field('name', $.identifier), optional(seq('(', optional($.arguments), ')'))),

    step: ($) => seq('|', $._operator),

    _operator: ($) =>
      choice(
        $.filter, $.select, $.drop, $.derive, $.rename, $.cast, $.distinct, $.fill_null, $.drop_null,
        $.group, $.window, $.watermark, $.sort, $.take, $.cross_join, $.join, $.union, $.intersect, $.except, $.sample, $.split, $.explode, $.pivot, $.unpivot, $.repartition,
        $.fit, $.cross_validate, $.predict, $.evaluate, $.transform,
      ),

    filter: ($) => seq('filter', $._expression),
    select: ($) => seq('select', $.identifier_list),
    drop: ($) => seq('drop', $.identifier_list),
    derive: ($) => seq('derive', choice($.assignment_block, commaSep1($.assignment))),
    rename: ($) => seq('rename', choice(seq('{', commaSepTrailing($.rename_pair), '}'), commaSep1($.rename_pair))),
    cast: ($) => seq('cast', choice(seq('{', commaSepTrailing($.cast_pair), '}'), commaSep1($.cast_pair))),
    distinct: ($) => prec.right(seq('distinct', optional($.identifier_list))),
    fill_null: ($) => seq('fill_null', choice(seq('{', commaSepTrailing($.fill_pair), '}'), $._fill_value)),
    drop_null: ($) => prec.right(seq('drop_null', optional($.identifier_list))),
    group: ($) =>
      seq(
        'group',
        optional(choice($.grouping_sets, seq($.event_window, optional(seq(',', $.identifier_list))), $.identifier_list)),
        $.assignment_block,
      ),
    // `tumbling(ts, 1m)`, `sliding(ts, 1m, 10s)`, `session(ts, gap = 5m)` as a group key.
    event_window: ($) => seq(field('kind', choice('tumbling', 'sliding', 'session')), '(', optional($.arguments), ')'),
    watermark: ($) =>
      seq(
        'watermark',
        field('column', $.identifier),
        'delay',
        field('delay', $._expression),
        optional(seq('(', 'late', '=', field('late', $.identifier), ')')),
      ),
    grouping_sets: ($) =>
      choice(
        seq('rollup', '(', $.identifier_list, ')'),
        seq('cube', '(', $.identifier_list, ')'),
        seq('grouping', 'sets', '(', commaSep1($.grouping_set), ')'),
      ),
    grouping_set: ($) => seq('(', optional($.identifier_list), ')'),
    sort: ($) => seq('sort', commaSep1($.sort_key)),
    window: ($) =>
      seq('window', optional(seq('by', $.identifier_list)), optional(seq('order', 'by', commaSep1($.sort_key))), $.window_block),
    window_block: ($) => seq('{', commaSepTrailing($.window_item), '}'),
    window_item: ($) => seq(field('name', $.identifier), '=', field('value', $.call), optional($.frame)),
    frame: ($) => seq(choice('rows', 'range'), 'between', $.frame_bound, 'and', $.frame_bound),
    frame_bound: ($) =>
      choice(seq('unbounded', choice('preceding', 'following')), seq('current', 'row'), seq($._expression, choice('preceding', 'following'))),
    take: ($) => prec.right(seq('take', $._expression, optional(seq('offset', $._expression)))),
    join: ($) =>
      seq(
        'join',
        optional('asof'),
        optional($.join_kind),
        field('right', $.identifier),
        'on',
        commaSep1($.join_key),
        optional(seq('within', field('within', $._expression))),
      ),
    union: ($) => seq('union', optional('distinct'), optional(seq('by', 'name')), $.identifier_list),
    intersect: ($) => seq('intersect', field('right', $.identifier)),
    except: ($) => seq('except', field('right', $.identifier)),
    cross_join: ($) => seq('join', 'cross', field('right', $.identifier)),
    sample: ($) => seq('sample', $._expression, optional(seq('seed', $._expression))),
    split: ($) =>
      prec.right(seq('split', commaSep1($._expression), optional(seq('seed', $._expression)), optional(seq('stratify', $.identifier)))),
    pivot: ($) =>
      seq(
        'pivot',
        field('column', $.identifier),
        'in',
        '[',
        commaSep1($._expression),
        ']',
        optional(seq('by', $.identifier_list)),
        $.assignment_block,
      ),
    unpivot: ($) => seq('unpivot', $.identifier_list, 'into', field('name', $.identifier), ',', field('value', $.identifier)),
    explode: ($) => seq('explode', field('column', $.identifier), optional(seq('with', 'position', field('position', $.identifier)))),
    repartition: ($) => seq('repartition', $._expression),
    fit: ($) => seq('fit', $.call),
    cross_validate: ($) => prec.right(seq('cross_validate', $.call, optional(seq('(', optional($.arguments), ')')))),
    predict: ($) => seq('predict', field('model', $.identifier)),
    evaluate: ($) => seq('evaluate', $.call),
    transform: ($) =>
      prec.right(seq(field('transformer', $.transformer), $.identifier_list, optional(seq('(', optional($.arguments), ')')))),

    transformer: (_) =>
      choice('standardize', 'min_max_scale', 'impute', 'tokenize', 'remove_stopwords', 'ngrams', 'hashing_tf', 'tf_idf',
        'string_index', 'one_hot', 'assemble', 'pca'),

    identifier_list: ($) => prec.right(commaSep1($.identifier)),
    assignment_block: ($) => seq('{', commaSepTrailing($.assignment), '}'),
    assignment: ($) => seq(field('name', $.identifier), '=', field('value', $._expression)),
    rename_pair: ($) => seq(field('from', $.identifier), '->', field('to', $.identifier)),
    cast_pair: ($) => seq(field('column', $.identifier), ':', field('type', $.type)),
    fill_pair: ($) => seq(field('column', $.identifier), '=', $._fill_value),
    _fill_value: ($) => choice($.fill_strategy, $._expression),
    fill_strategy: (_) => choice('mean', 'median', 'mode'),
    sort_key: ($) =>
      seq(field('key', $._expression), optional(choice('asc', 'desc')), optional(seq('nulls', choice('first', 'last')))),
    join_kind: (_) => choice('inner', 'left', 'right', 'full', 'semi', 'anti'),
    // A key (`a`, `a == b`, `a <=> b`) or a condition over both sides.
    join_key: ($) => choice(seq($.identifier, '<=>', $.identifier), $._expression),

    // ---- expressions
    _expression: ($) =>
      choice($.binary_expression, $.unary_expression, $.cast_expression, $.in_expression, $.index_expression, $._primary),

    binary_expression: ($) =>
      choice(
        prec.left(PREC.or, seq($._expression, 'or', $._expression)),
        prec.left(PREC.and, seq($._expression, 'and', $._expression)),
        prec.left(PREC.compare, seq($._expression, choice('==', '!=', '<', '<=', '>', '>='), $._expression)),
        prec.left(PREC.add, seq($._expression, choice('+', '-'), $._expression)),
        prec.left(PREC.mul, seq($._expression, choice('*', '/', '%'), $._expression)),
      ),
    unary_expression: ($) => choice(prec(PREC.not, seq('not', $._expression)), prec(PREC.unary, seq('-', $._expression))),
    cast_expression: ($) => prec.left(PREC.cast, seq($._expression, 'as', $.type)),
    index_expression: ($) => prec.left(PREC.index, seq($._expression, '[', $._expression, ']')),
    in_expression: ($) => prec.left(PREC.in, seq($._expression, optional('not'), 'in', $.list)),

    _primary: ($) =>
      choice($.duration, $.float, $.integer, $.string, $.boolean, $.null, $.case_expression, $.call, $.list, $.name, $.parenthesized),

    parenthesized: ($) => seq('(', $._expression, ')'),
    call: ($) => seq(field('function', $.identifier), '(', optional($.arguments), ')'),
    arguments: ($) => seq(commaSep1($.argument), optional(',')),
    argument: ($) => seq(optional(seq(field('name', $.identifier), '=')), field('value', $._expression)),
    list: ($) => seq('[', commaSepTrailing($._expression), ']'),
    case_expression: ($) => seq('case', repeat1($.when_clause), optional(seq('else', $._expression)), 'end'),
    when_clause: ($) => seq('when', $._expression, 'then', $._expression),
    name: ($) => $.identifier,

    duration: (_) => token(prec(2, /\d+(ms|us|s|m|h|d|w)/)),
    float: (_) => token(prec(1, /\d+(\.\d+([eE][+-]?\d+)?|[eE][+-]?\d+)/)),
    integer: (_) => /\d+/,
    boolean: (_) => choice('true', 'false'),
    null: (_) => 'null',
    string: ($) =>
      choice(
        seq('"', repeat(choice(token.immediate(prec(1, /[^"\\\n]+/)), $.escape_sequence)), '"'),
        seq("'", repeat(choice(token.immediate(prec(1, /[^'\\\n]+/)), $.escape_sequence)), "'"),
      ),
    escape_sequence: (_) => token.immediate(seq('\\', choice(/u\{[0-9a-fA-F]+\}/, /./))),

    type: ($) => seq($._type_name, optional('?')),
    _type_name: ($) => choice(seq('list', '<', $._type_name, '>'), $.bare_identifier),

    identifier: ($) => choice($.bare_identifier, $.quoted_identifier),
    bare_identifier: (_) => /[A-Za-z_][A-Za-z0-9_]*/,
    quoted_identifier: (_) => /`([^`\n]|``)+`/,
  },
});
