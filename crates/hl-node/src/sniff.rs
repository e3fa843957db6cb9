//! What an attachment is, decided from its content alone (never from a client's header or file
//! name): the allow-list of evidence types. Pure; tested exhaustively below.

/// The media types an attachment may have.
pub const ALLOWED_TYPES: [&str; 8] =
    ["image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/x-nmea", "text/csv", "text/plain"];

/// The media type of `content`, or `None` when it is none of [`ALLOWED_TYPES`].
pub fn media_type(content: &[u8]) -> Option<&'static str> {
    let starts = |magic: &[u8]| content.starts_with(magic);
    if starts(b"\x89PNG\r\n\x1a\n") {
        return Some("image/png");
    }
    if starts(b"\xff\xd8\xff") {
        return Some("image/jpeg");
    }
    if starts(b"GIF87a") || starts(b"GIF89a") {
        return Some("image/gif");
    }
    if content.len() >= 12 && starts(b"RIFF") && &content[8..12] == b"WEBP" {
        return Some("image/webp");
    }
    if starts(b"%PDF-") {
        return Some("application/pdf");
    }
    let text = std::str::from_utf8(content).ok()?;
    // Text: no control characters but tab and line breaks (which also keeps out binary formats
    // that happen to be valid UTF-8, and terminal escape sequences).
    if text.chars().any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r')) || text.trim().is_empty() {
        return None;
    }
    let lines: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    if lines.iter().all(|l| is_nmea(l)) {
        return Some("text/x-nmea");
    }
    if is_csv(&lines) {
        return Some("text/csv");
    }
    Some("text/plain")
}

/// An NMEA 0183 sentence (`!AIVDM...*hh`, `$GPRMC...*hh`), optionally after a tag block
/// (`\s:...*hh\`) or a logger's timestamp.
fn is_nmea(line: &str) -> bool {
    let line = match line.strip_prefix('\\') {
        Some(rest) => rest.split_once('\\').map_or("", |(_, sentence)| sentence),
        None => line.find(['!', '$']).map_or("", |start| &line[start..]),
    };
    let Some(body) = line.strip_prefix('!').or_else(|| line.strip_prefix('$')) else { return false };
    let Some((fields, checksum)) = body.rsplit_once('*') else { return false };
    fields.len() >= 5 && checksum.len() >= 2 && checksum[..2].bytes().all(|b| b.is_ascii_hexdigit())
}

/// Comma-separated values: at least two lines, each with the first line's number of fields
/// (at least two; quoted fields may hold commas).
fn is_csv(lines: &[&str]) -> bool {
    let fields = |line: &str| {
        let mut count = 1;
        let mut quoted = false;
        for c in line.chars() {
            match c {
                '"' => quoted = !quoted,
                ',' if !quoted => count += 1,
                _ => {}
            }
        }
        count
    };
    let Some(first) = lines.first() else { return false };
    let width = fields(first);
    lines.len() >= 2 && width >= 2 && lines.iter().all(|l| fields(l) == width)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_allowed_type_is_recognised_by_its_content() {
        let cases: [(&[u8], &str); 9] = [
            (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "image/png"),
            (b"\xff\xd8\xff\xe0\0\x10JFIF", "image/jpeg"),
            (b"GIF89a\x01\0\x01\0", "image/gif"),
            (b"RIFF\x24\0\0\0WEBPVP8 ", "image/webp"),
            (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "application/pdf"),
            (
                b"!AIVDM,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,0*23\r\n!AIVDM,1,1,,B,100h00PP0@PHFV`Mg5gTH?vNPUIp,0*3B\n",
                "text/x-nmea",
            ),
            (b"\\s:2573345,c:1425168000*0B\\!AIVDM,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,0*23\n", "text/x-nmea"),
            (b"mmsi,name\n563123456,\"SEA, STAR\"\n", "text/csv"),
            ("Two skiffs seen at the breakwater.\nPolice informed.\n".as_bytes(), "text/plain"),
        ];
        for (content, expected) in cases {
            assert_eq!(media_type(content), Some(expected), "{:?}", String::from_utf8_lossy(content));
            assert!(ALLOWED_TYPES.contains(&expected));
        }
    }

    #[test]
    fn anything_else_is_refused_whatever_it_claims_to_be() {
        let refused: [&[u8]; 8] = [
            b"MZ\x90\0\x03\0\0\0",                 // a Windows executable
            b"\x7fELF\x02\x01\x01\0",              // an ELF binary
            b"PK\x03\x04\x14\0\0\0",               // a ZIP (and so DOCX, XLSX, JAR)
            b"\0\0\0\0",                           // zeros
            b"\xff\xfe\0\0",                       // UTF-16/32 bytes, not UTF-8
            b"plain text with an escape \x1b[31m", // a terminal escape sequence
            b"",                                   // nothing
            b"   \n\t  ",                          // only white space
        ];
        for content in refused {
            assert_eq!(media_type(content), None, "{content:?}");
        }
    }

    #[test]
    fn text_that_only_resembles_a_format_is_plain_text() {
        assert_eq!(media_type(b"!AIVDM without a checksum\n"), Some("text/plain"));
        assert_eq!(media_type(b"one,line\n"), Some("text/plain"), "one line is not a table");
        assert_eq!(media_type(b"a,b\nc\n"), Some("text/plain"), "ragged rows are not a table");
        assert_eq!(media_type("<script>alert(1)</script>".as_bytes()), Some("text/plain"));
    }
}
