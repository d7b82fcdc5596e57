#!/usr/bin/env node
// Expand an iCalendar file with Mozilla's ical.js (the parser Thunderbird uses).
//
//   node expand.mjs FILE.ics START END        (dates YYYY-MM-DD, END exclusive)
//
// Prints a JSON array, sorted by (start, uid, end) in plain string order, of every
// occurrence whose start falls in [START, END):
//
//   {"uid": ..., "start": ..., "end": ..., "summary": ..., "alarms": [...]}
//
// * start/end are "YYYY-MM-DD" for all-day events, otherwise the wall-clock time in the
//   event's own zone with its offset, "2025-10-09T09:30:00+08:00" ("+00:00" for UTC,
//   no offset for floating times). "Falls in [START, END)" compares the start's date
//   in that same zone.
// * alarms are the TRIGGER values of the occurrence's VALARMs, in file order, as ical.js
//   reads them: a duration such as "-P7D" or "-PT15H", or an absolute time in UTC,
//   "2025-02-20T01:00:00Z". A trigger with RELATED=END gets ";RELATED=END" appended.
// * Recurring events (RRULE, RDATE, EXDATE) are expanded with ICAL.Event's iterator;
//   RECURRENCE-ID overrides replace their instance (summary, times and alarms).
//
// Stricter than ical.js itself, because this is a test oracle: a TZID that no VTIMEZONE in
// the file defines (ical.js would silently read it as floating time), two VEVENTs sharing a
// UID without RECURRENCE-ID, two overrides of one instance, and an override whose
// RECURRENCE-ID matches no instance (ical.js would drop it) are errors.
//
// On any error: one line on stderr, exit status 2.

import { readFileSync } from 'node:fs';
import ICAL from 'ical.js';

const USAGE = 'usage: node expand.mjs FILE.ics START END  (dates YYYY-MM-DD, END exclusive)';
// Safety net against a runaway expansion; no sane feed has this many instances per event.
const MAX_INSTANCES = 200000;
// Properties whose date-time values may carry a TZID parameter.
const ZONED = ['dtstart', 'dtend', 'due', 'recurrence-id', 'exdate', 'rdate'];

class HarnessError extends Error {}

function parseDay(text, what) {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text ?? '');
  const date = match && new Date(Date.UTC(+match[1], +match[2] - 1, +match[3]));
  if (!date || date.toISOString().slice(0, 10) !== text) {
    throw new HarnessError(`${what} ${JSON.stringify(text)} is not a date; write YYYY-MM-DD. ${USAGE}`);
  }
  return text;
}

function nextDay(day) {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + 1);
  return date.toISOString().slice(0, 10);
}

// The date of a time in its own zone (the wall clock fields are local).
function localDay(time) {
  return time.toString().slice(0, 10);
}

function pad2(n) {
  return String(n).padStart(2, '0');
}

function formatTime(time) {
  if (time.isDate) {
    return time.toString();
  }
  const wall = time.toString().replace(/Z$/, '');
  if (time.zone === ICAL.Timezone.utcTimezone) {
    return `${wall}+00:00`;
  }
  if (time.zone === ICAL.Timezone.localTimezone) {
    return wall; // floating
  }
  const offset = time.utcOffset();
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  const seconds = abs % 60;
  const hhmm = `${pad2(Math.floor(abs / 3600))}:${pad2(Math.floor(abs / 60) % 60)}`;
  return `${wall}${sign}${hhmm}${seconds ? `:${pad2(seconds)}` : ''}`;
}

function alarmsOf(component, uid) {
  return component.getAllSubcomponents('valarm').map((alarm) => {
    const trigger = alarm.getFirstProperty('trigger');
    if (!trigger) {
      throw new HarnessError(`VEVENT ${uid}: VALARM without TRIGGER`);
    }
    const value = trigger.getFirstValue();
    let text;
    if (value instanceof ICAL.Duration) {
      text = value.toString();
    } else if (value instanceof ICAL.Time) {
      text = value.convertToZone(ICAL.Timezone.utcTimezone).toString();
    } else {
      throw new HarnessError(`VEVENT ${uid}: unreadable TRIGGER ${JSON.stringify(String(value))}`);
    }
    const related = trigger.getParameter('related');
    if (related && String(related).toUpperCase() === 'END') {
      text += ';RELATED=END';
    }
    return text;
  });
}

function checkZones(component, uid, tzids) {
  for (const name of ZONED) {
    for (const prop of component.getAllProperties(name)) {
      const tzid = prop.getParameter('tzid');
      if (tzid && !tzids.has(tzid)) {
        throw new HarnessError(
          `VEVENT ${uid}: ${name.toUpperCase()} uses TZID=${tzid} but no VTIMEZONE in the file defines it`);
      }
    }
  }
}

function occurrence(component, uid, start, end) {
  return {
    uid,
    start: formatTime(start),
    end: formatTime(end),
    summary: component.getFirstPropertyValue('summary') ?? null,
    alarms: alarmsOf(component, uid),
  };
}

function expandCalendar(vcalendar, first, stop, out) {
  if (vcalendar.name !== 'vcalendar') {
    throw new HarnessError(`top-level component is ${vcalendar.name.toUpperCase()}, not VCALENDAR`);
  }
  const tzids = new Set();
  for (const vtimezone of vcalendar.getAllSubcomponents('vtimezone')) {
    const tzid = vtimezone.getFirstPropertyValue('tzid');
    if (!tzid) {
      throw new HarnessError('VTIMEZONE without TZID');
    }
    ICAL.TimezoneService.register(vtimezone);
    tzids.add(tzid);
  }

  const groups = new Map(); // uid -> {master, overrides: Map(recurrence-id string -> component)}
  for (const component of vcalendar.getAllSubcomponents('vevent')) {
    const uid = component.getFirstPropertyValue('uid');
    if (!uid) {
      throw new HarnessError('VEVENT without UID');
    }
    if (!component.hasProperty('dtstart')) {
      throw new HarnessError(`VEVENT ${uid} has no DTSTART`);
    }
    checkZones(component, uid, tzids);
    if (!groups.has(uid)) {
      groups.set(uid, { master: null, overrides: new Map() });
    }
    const group = groups.get(uid);
    const rid = component.getFirstPropertyValue('recurrence-id');
    if (rid) {
      const key = rid.convertToZone(ICAL.Timezone.utcTimezone).toString();
      if (group.overrides.has(key)) {
        throw new HarnessError(`VEVENT ${uid}: two overrides with RECURRENCE-ID ${rid.toString()}`);
      }
      group.overrides.set(key, component);
    } else if (group.master) {
      throw new HarnessError(`two VEVENTs with UID ${uid} and no RECURRENCE-ID`);
    } else {
      group.master = component;
    }
  }

  const wanted = (start) => {
    const day = localDay(start);
    return first <= day && day < stop;
  };

  for (const [uid, { master, overrides }] of groups) {
    if (!master) {
      // Overrides of a series that is not in this file: each stands alone.
      for (const component of overrides.values()) {
        const event = new ICAL.Event(component);
        if (wanted(event.startDate)) {
          out.push(occurrence(component, uid, event.startDate, event.endDate));
        }
      }
      continue;
    }
    const event = new ICAL.Event(master, { exceptions: [...overrides.values()], strictExceptions: true });
    // Iterate (from DTSTART, in order) far enough to meet every override: an instance
    // moved into the range from after it still counts, one moved out of it does not.
    let limit = stop;
    for (const component of overrides.values()) {
      const day = localDay(component.getFirstPropertyValue('recurrence-id'));
      if (day >= limit) {
        limit = nextDay(day);
      }
    }
    const used = new Set();
    const iterator = event.iterator();
    let count = 0;
    for (let next = iterator.next(); next; next = iterator.next()) {
      if (localDay(next) >= limit) {
        break;
      }
      if (++count > MAX_INSTANCES) {
        throw new HarnessError(`VEVENT ${uid}: more than ${MAX_INSTANCES} instances before ${limit}`);
      }
      const details = event.getOccurrenceDetails(next);
      if (details.item !== event) {
        used.add(details.item.component);
      }
      if (wanted(details.startDate)) {
        out.push(occurrence(details.item.component, uid, details.startDate, details.endDate));
      }
    }
    for (const component of overrides.values()) {
      if (!used.has(component)) {
        const rid = component.getFirstPropertyValue('recurrence-id').toString();
        throw new HarnessError(`VEVENT ${uid}: RECURRENCE-ID ${rid} matches no instance of the series`);
      }
    }
  }
}

function main(argv) {
  if (argv.length !== 3) {
    throw new HarnessError(USAGE);
  }
  const [file, startText, endText] = argv;
  const first = parseDay(startText, 'START');
  const stop = parseDay(endText, 'END');
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new HarnessError(`cannot read ${file}: ${err.message}`);
  }
  const jcal = ICAL.parse(text.replace(/^\uFEFF/, ''));
  // One calendar parses to a single jCal component, several to a list of them.
  const calendars = typeof jcal[0] === 'string' ? [jcal] : jcal;
  if (calendars.length === 0) {
    throw new HarnessError('no VCALENDAR in the file');
  }
  const out = [];
  for (const data of calendars) {
    expandCalendar(new ICAL.Component(data), first, stop, out);
  }
  const cmp = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
  out.sort((a, b) => cmp(a.start, b.start) || cmp(a.uid, b.uid) || cmp(a.end, b.end));
  process.stdout.write(`${JSON.stringify(out, null, 1)}\n`);
}

try {
  main(process.argv.slice(2));
} catch (err) {
  const kind = err instanceof HarnessError ? 'error' : (err?.name ?? 'Error');
  const message = String(err?.message ?? err).replace(/\s+/g, ' ').trim();
  process.stderr.write(`expand.mjs: ${kind}: ${message}\n`);
  process.exitCode = 2;
}
