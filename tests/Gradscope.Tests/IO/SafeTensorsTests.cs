using System.Buffers.Binary;
using System.Text;
using Gradscope.IO;

namespace Gradscope.Tests.IO;

public class SafeTensorsTests
{
    private static byte[] Build(string header, int dataBytes)
    {
        var h = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + h.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)h.Length);
        h.CopyTo(bytes, 8);
        return bytes;
    }

    [Fact]
    public void RoundTripsF32AndF64ExactlyWithMetadata()
    {
        string path = Path.Combine(Path.GetTempPath(), $"gs-st-{Guid.NewGuid():N}.safetensors");
        try
        {
            var a = new SafeTensor("0.weight", SafeTensorDType.F32, [2, 3], [1.5, -2, 3.25, 0, 1e-7f, 7]);
            var b = new SafeTensor("2.weight", SafeTensorDType.F64, [1, 2], [Math.PI, -1e-300]);
            SafeTensors.Write(path, [a, b], new Dictionary<string, string> { ["format"] = "pt" });
            var back = SafeTensors.Read(path, out var meta);
            Assert.Equal("pt", meta["format"]);
            Assert.Equal(2, back.Count);
            Assert.Equal(a.Data, back[0].Data);
            Assert.Equal(b.Data, back[1].Data);
            Assert.Equal([2, 3], back[0].Shape);
            // the file layout: 8-byte length, header, then 6*4 + 2*8 data bytes
            long len = new FileInfo(path).Length;
            var raw = File.ReadAllBytes(path);
            Assert.Equal(len, 8 + (long)BinaryPrimitives.ReadUInt64LittleEndian(raw) + 24 + 16);
            // F32 bytes are the IEEE little-endian encoding of the values
            int dataStart = 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(raw);
            Assert.Equal(1.5f, BinaryPrimitives.ReadSingleLittleEndian(raw.AsSpan(dataStart)));
        }
        finally { File.Delete(path); }
    }

    [Theory]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,16]}}", 8, "offsets")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, "needs 12")]
    [InlineData("{\"w\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[0,2]}}", 2, "BF16")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"v\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "overlapping")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4, "shape")]
    [InlineData("not json", 0, "JSON")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 8, "cover 4")]
    public void RejectsHostileHeadersNamingTheProblem(string header, int dataBytes, string expected)
    {
        var bytes = Build(header, dataBytes);
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Parse(bytes, "evil.safetensors", out _));
        Assert.Contains("evil.safetensors", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void InvalidUtf8InAHeaderStringIsAClearErrorNamingTheFile()
    {
        var bytes = Build("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4);
        bytes[8 + 2] = 0xFF; // the 'w' of the tensor name becomes a byte no UTF-8 sequence starts with
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Parse(bytes, "evil.safetensors", out _));
        Assert.Equal("safetensors 'evil.safetensors': header is not valid UTF-8 (invalid byte at header offset 2).", e.Message);
        // an escaped lone surrogate is valid JSON syntax but no Unicode string
        var surrogate = Build("{\"\\ud800\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4);
        e = Assert.Throws<InvalidDataException>(() => SafeTensors.Parse(surrogate, "evil.safetensors", out _));
        Assert.StartsWith("safetensors 'evil.safetensors': header holds a string that is not valid Unicode", e.Message);
    }

    [Theory]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", "the header has the key 'w' twice")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,4]}}", "tensor 'w' has the key 'dtype' twice")]
    [InlineData("{\"__metadata__\":{\"a\":\"1\",\"a\":\"2\"},\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", "__metadata__ has the key 'a' twice")]
    public void ADuplicateHeaderKeyIsAnErrorNamingTheKey(string header, string expected)
    {
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Parse(Build(header, 4), "dup.safetensors", out _));
        Assert.Equal($"safetensors 'dup.safetensors': {expected}.", e.Message);
    }

    [Fact]
    public void RejectsHugeOrTruncatedHeaderLength()
    {
        var bytes = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, ulong.MaxValue);
        Assert.Contains("exceeds", Assert.Throws<InvalidDataException>(() => SafeTensors.Parse(bytes, "f", out _)).Message);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 100);
        Assert.Contains("past the end", Assert.Throws<InvalidDataException>(() => SafeTensors.Parse(bytes, "f", out _)).Message);
        Assert.Contains("shorter", Assert.Throws<InvalidDataException>(() => SafeTensors.Parse(new byte[3], "f", out _)).Message);
    }

    [Fact]
    public void RoundTripsI64ScalarsSuchAsTheBatchNormStepCounter()
    {
        string path = Path.Combine(Path.GetTempPath(), $"gs-st-{Guid.NewGuid():N}.safetensors");
        try
        {
            SafeTensors.Write(path, [new SafeTensor("1.num_batches_tracked", SafeTensorDType.I64, [], [123456789])]);
            var raw = File.ReadAllBytes(path);
            int dataStart = 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(raw);
            Assert.Equal(123456789L, BinaryPrimitives.ReadInt64LittleEndian(raw.AsSpan(dataStart)));
            Assert.Contains("\"dtype\":\"I64\",\"shape\":[]", Encoding.UTF8.GetString(raw, 8, dataStart - 8));
            var back = SafeTensors.Read(path);
            Assert.Equal(SafeTensorDType.I64, back[0].DType);
            Assert.Equal([123456789.0], back[0].Data);
        }
        finally { File.Delete(path); }
    }
}
