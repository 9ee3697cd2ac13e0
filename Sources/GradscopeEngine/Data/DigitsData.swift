internal import CZlib
import Foundation

/// The UCI optical-recognition handwritten digits (test set), 1,797 images of
/// 8×8 pixels with values 0…16 and labels 0…9, as bundled by scikit-learn
/// (`load_digits`). The gzip file ships in the package's resources
/// unchanged; see `Resources/DIGITS.md` for its source and licence.
///
/// Inputs are the 64 pixels divided by 16, so they lie in [0, 1].
public enum DigitsData {
    public static let samples = 1797

    public static func load() throws(DataError) -> Dataset {
        guard let url = Bundle.module.url(forResource: "digits.csv", withExtension: "gz"),
              let compressed = try? Data(contentsOf: url)
        else { throw .corruptResource("digits (resource missing)") }
        guard let text = gunzip(compressed).flatMap({ String(data: $0, encoding: .utf8) }) else {
            throw .corruptResource("digits (not gzip)")
        }
        var x = [Float](), y = [Int32]()
        x.reserveCapacity(samples * 64)
        for line in text.split(whereSeparator: \.isNewline) {
            let values = line.split(separator: ",").compactMap { Double($0) }
            guard values.count == 65 else { throw .corruptResource("digits (row of \(values.count) values)") }
            x += values[0..<64].map { Float($0 / 16) }
            y.append(Int32(values[64]))
        }
        return Dataset(features: 64, inputs: x, targets: .labels(y, classes: 10))
    }

    /// Inflates a gzip stream with zlib (window bits 15 + 32 accepts gzip and zlib headers).
    static func gunzip(_ data: Data) -> Data? {
        var stream = z_stream()
        guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return nil }
        defer { inflateEnd(&stream) }
        var output = Data()
        var input = data
        let chunk = 1 << 16
        var buffer = [UInt8](repeating: 0, count: chunk)
        var status = Z_OK
        input.withUnsafeMutableBytes { (raw: UnsafeMutableRawBufferPointer) in
            stream.next_in = raw.bindMemory(to: Bytef.self).baseAddress
            stream.avail_in = uInt(raw.count)
            repeat {
                buffer.withUnsafeMutableBufferPointer { out in
                    stream.next_out = out.baseAddress
                    stream.avail_out = uInt(chunk)
                    status = inflate(&stream, Z_NO_FLUSH)
                    output.append(out.baseAddress!, count: chunk - Int(stream.avail_out))
                }
            } while status == Z_OK
        }
        return status == Z_STREAM_END ? output : nil
    }
}
