import { SnowflakeEmulatorError } from '../emulator-error.js';

/** The canonical date/time parts (DuckDB's spelling). */
export type DatePart =
  | 'year'
  | 'quarter'
  | 'month'
  | 'week'
  | 'day'
  | 'hour'
  | 'minute'
  | 'second'
  | 'millisecond'
  | 'microsecond'
  | 'nanosecond'
  | 'dayofweek'
  | 'dayofweekiso'
  | 'dayofyear'
  | 'weekiso'
  | 'yearofweek'
  | 'yearofweekiso'
  | 'epoch_second';

const SYNONYMS: Record<string, DatePart> = {};
const add = (part: DatePart, names: string): void => {
  for (const name of names.split(' ')) SYNONYMS[name] = part;
};
add('year', 'YEAR Y YY YYY YYYY YR YEARS YRS');
add('quarter', 'QUARTER Q QTR QTRS QUARTERS');
add('month', 'MONTH MM MON MONS MONTHS');
add('week', 'WEEK W WK WEEKOFYEAR WOY WY WEEKS');
add('day', 'DAY D DD DAYS DAYOFMONTH');
add('hour', 'HOUR H HH HR HOURS HRS');
add('minute', 'MINUTE M MI MIN MINUTES MINS');
add('second', 'SECOND S SEC SECONDS SECS');
add('millisecond', 'MS MSEC MILLISECOND MILLISECONDS');
add('microsecond', 'US USEC MICROSECOND MICROSECONDS');
add('nanosecond', 'NS NSEC NANOSEC NSECOND NANOSECOND NANOSECONDS NANOSECS NSECONDS');
add('dayofweek', 'DAYOFWEEK WEEKDAY DOW DW');
add('dayofweekiso', 'DAYOFWEEKISO WEEKDAY_ISO DOW_ISO DW_ISO');
add('dayofyear', 'DAYOFYEAR YEARDAY DOY DY');
add('weekiso', 'WEEKISO WEEK_ISO WEEKOFYEARISO WEEKOFYEAR_ISO');
add('yearofweek', 'YEAROFWEEK');
add('yearofweekiso', 'YEAROFWEEKISO');
add('epoch_second', 'EPOCH_SECOND EPOCH EPOCH_SECONDS');

/** Resolve a Snowflake date/time part name (any of its synonyms, any case) or fail naming it. */
export function datePart(name: string, functionName: string): DatePart {
  const part = SYNONYMS[name.toUpperCase()];
  if (!part) {
    throw SnowflakeEmulatorError.sql(
      '001003',
      '42000',
      `SQL compilation error:\ninvalid date/time part '${name}' for function ${functionName}.`,
    );
  }
  return part;
}
