package format

import "time"

// conntrack prints kernel timestamps ([start=...], [stop=...]) with C's
// ctime(): "Wed Nov 25 21:56:49 2026", in the local time zone of the
// machine that ran it, to the second.

const (
	weekdays = "SunMonTueWedThuFriSat"
	months   = "JanFebMarAprMayJunJulAugSepOctNovDec"
)

// appendCtime appends the time ns (nanoseconds since the epoch) as ctime
// prints it in loc.
func appendCtime(dst []byte, ns uint64, loc *time.Location) []byte {
	t := time.Unix(int64(ns/1e9), 0).In(loc)
	y, m, d := t.Date()
	h, mi, s := t.Clock()
	wd := int(t.Weekday())
	dst = append(dst, weekdays[3*wd:3*wd+3]...)
	dst = append(dst, ' ')
	dst = append(dst, months[3*(m-1):3*m]...)
	dst = append(dst, ' ')
	if d < 10 {
		dst = append(dst, ' ')
	}
	dst = appendUint(dst, uint64(d))
	dst = append(dst, ' ', byte('0'+h/10), byte('0'+h%10), ':', byte('0'+mi/10), byte('0'+mi%10), ':', byte('0'+s/10), byte('0'+s%10), ' ')
	return appendUint(dst, uint64(y))
}

// parseCtime parses b as ctime prints a time in loc, and returns it in
// seconds since the epoch. The weekday must match the date.
func parseCtime(b []byte, loc *time.Location) (int64, bool) {
	// "Www Mmm dd hh:mm:ss yyyy"
	if len(b) < 24 || b[3] != ' ' || b[7] != ' ' || b[10] != ' ' || b[13] != ':' || b[16] != ':' || b[19] != ' ' {
		return 0, false
	}
	wd := index3(weekdays, b[0:3])
	m := index3(months, b[4:7])
	var d int
	switch {
	case b[8] == ' ' && b[9] >= '1' && b[9] <= '9':
		d = int(b[9] - '0')
	case b[8] >= '1' && b[8] <= '3' && b[9] >= '0' && b[9] <= '9':
		d = int(b[8]-'0')*10 + int(b[9]-'0')
	default:
		return 0, false
	}
	h, ok1 := two(b[11:13])
	mi, ok2 := two(b[14:16])
	s, ok3 := two(b[17:19])
	y, e := parseUint(b[20:], 1<<31)
	if wd < 0 || m < 0 || !ok1 || !ok2 || !ok3 || e != numOK || h > 23 || mi > 59 || s > 59 || y < 1970 {
		return 0, false
	}
	t := time.Date(int(y), time.Month(m+1), d, h, mi, s, 0, loc)
	if t.Day() != d || t.Hour() != h || t.Minute() != mi || int(t.Weekday()) != wd || t.Unix() < 0 {
		return 0, false // no such day or local time, or the weekday of another
	}
	return t.Unix(), true
}

func index3(table string, b []byte) int {
	for i := 0; i+3 <= len(table); i += 3 {
		if table[i:i+3] == string(b) {
			return i / 3
		}
	}
	return -1
}

func two(b []byte) (int, bool) {
	if b[0] < '0' || b[0] > '9' || b[1] < '0' || b[1] > '9' {
		return 0, false
	}
	return int(b[0]-'0')*10 + int(b[1]-'0'), true
}
