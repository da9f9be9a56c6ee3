using System.Buffers.Binary;
using System.Text;
using Gradscope.Data;

namespace Gradscope.Tests.Data;

/// <summary>The .npy writer: read back by the reader, and the header bytes checked against the NumPy format spec (NEP 1).</summary>
public class NpyWriterTests
{
    [Theory]
    [InlineData(new[] { 5 })]
    [InlineData(new[] { 3, 4 })]
    [InlineData(new[] { 2, 0 })]
    [InlineData(new int[0])]
    public void WritesFloat64ThatReadsBack(int[] shape)
    {
        string path = Path.Combine(Path.GetTempPath(), $"npyw-{Guid.NewGuid():N}.npy");
        try
        {
            int count = shape.Aggregate(1, (a, b) => a * b);
            var data = Enumerable.Range(0, count).Select(i => Math.PI * i - 1e300 * (i % 2)).ToArray();
            Npy.Write(path, shape, data);
            var back = Npy.Read(path);
            Assert.Equal("<f8", back.Descr);
            Assert.Equal(shape, back.Shape);
            Assert.Equal(data, back.Data);

            var b = File.ReadAllBytes(path);
            Assert.Equal(new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0 }, b[..8]);
            int len = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(8));
            Assert.Equal(0, (10 + len) % 64);
            string header = Encoding.Latin1.GetString(b, 10, len);
            Assert.EndsWith("\n", header);
            string tuple = shape.Length == 1 ? $"({shape[0]},)" : "(" + string.Join(", ", shape) + ")";
            Assert.StartsWith($"{{'descr': '<f8', 'fortran_order': False, 'shape': {tuple}, }}", header);
            Assert.Equal(10 + len + 8 * count, b.Length);
            // Payload: little-endian doubles in C order.
            for (int i = 0; i < count; i++) Assert.Equal(data[i], BinaryPrimitives.ReadDoubleLittleEndian(b.AsSpan(10 + len + 8 * i)));
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void WritesInt64AndRejectsAWrongShape()
    {
        string path = Path.Combine(Path.GetTempPath(), $"npyw-{Guid.NewGuid():N}.npy");
        try
        {
            Npy.Write(path, [3], new long[] { 0, 7, 1L << 40 });
            var back = Npy.Read(path);
            Assert.Equal("<i8", back.Descr);
            Assert.Equal(new double[] { 0, 7, 1L << 40 }, back.Data);
            var e = Assert.Throws<ArgumentException>(() => Npy.Write(path, [2, 2], new double[] { 1, 2, 3 }));
            Assert.Contains("holds 4 values but 3", e.Message);
            Assert.Equal(new double[] { 0, 7, 1L << 40 }, Npy.Read(path).Data); // the failed write left the file alone
        }
        finally { File.Delete(path); }
    }
}
