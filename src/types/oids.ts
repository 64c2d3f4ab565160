/**
 * Object identifiers of the built-in PostgreSQL types we know, from
 * `pg_type` (src/include/catalog/pg_type.dat); stable across server versions.
 * `Oid.X` is the element type, `ArrayOid.X` its array type.
 */

/** OIDs of built-in scalar types. */
export const Oid = {
  unknown: 0, bool: 16, bytea: 17, char: 18, name: 19, int8: 20, int2: 21, int4: 23, text: 25,
  oid: 26, json: 114, xml: 142, point: 600, lseg: 601, path: 602, box: 603, polygon: 604,
  line: 628, cidr: 650, float4: 700, float8: 701, circle: 718, macaddr8: 774, money: 790,
  macaddr: 829, inet: 869, bpchar: 1042, varchar: 1043, date: 1082, time: 1083,
  timestamp: 1114, timestamptz: 1184, interval: 1186, timetz: 1266, bit: 1560, varbit: 1562,
  numeric: 1700, uuid: 2950, jsonb: 3802, int4range: 3904, numrange: 3906, tsrange: 3908,
  tstzrange: 3910, daterange: 3912, int8range: 3926, jsonpath: 4072,
} as const;

/** OIDs of the array types of the built-in types above (`_int4` is `int4[]`). */
export const ArrayOid = {
  bool: 1000, bytea: 1001, char: 1002, name: 1003, int8: 1016, int2: 1005, int4: 1007,
  text: 1009, oid: 1028, json: 199, xml: 143, point: 1017, lseg: 1018, path: 1019, box: 1020,
  polygon: 1027, line: 629, cidr: 651, float4: 1021, float8: 1022, circle: 719, macaddr8: 775,
  money: 791, macaddr: 1040, inet: 1041, bpchar: 1014, varchar: 1015, date: 1182, time: 1183,
  timestamp: 1115, timestamptz: 1185, interval: 1187, timetz: 1270, bit: 1561, varbit: 1563,
  numeric: 1231, uuid: 2951, jsonb: 3807, int4range: 3905, numrange: 3907, tsrange: 3909,
  tstzrange: 3911, daterange: 3913, int8range: 3927, jsonpath: 4073,
} as const;
