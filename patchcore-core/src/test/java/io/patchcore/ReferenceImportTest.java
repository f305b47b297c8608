package io.patchcore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.patchcore.feature.FeatureExtractor;
import io.patchcore.feature.FeatureMap;
import io.patchcore.feature.FeatureMaps;
import io.patchcore.internal.interop.SafePickle;
import io.patchcore.sampling.Samplers;
import io.patchcore.testing.Npy;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Importing models saved by the Python reference: the fixture made by
 * {@code reference-model/make_reference_fixture.py}, the mapping of its parameters, scoring, the
 * round trip through this library's format, and the rejection of damaged or hostile files.
 */
class ReferenceImportTest {
  static final String FIXTURE = "/reference-model";
  static final int ROWS = 40;
  static final int DIM = 16;

  @TempDir
  Path tmp;

  static Path fixture() {
    try {
      return Paths.get(ReferenceImportTest.class.getResource(FIXTURE).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  static byte[] resource(String name) throws IOException {
    try (InputStream in = ReferenceImportTest.class.getResourceAsStream(FIXTURE + "/" + name)) {
      assertThat(in).as(name).isNotNull();
      return in.readAllBytes();
    }
  }

  static float[] vectors() {
    Npy npy = Npy.read(FIXTURE + "/vectors.npy");
    assertThat(npy.shape()).containsExactly(ROWS, DIM);
    return npy.floats();
  }

  /** The fixture's parameters, as the script writes them. */
  static Map<String, Object> params() {
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("backbone.name", "wideresnet50");
    p.put("layers_to_extract_from", List.of("layer2", "layer3"));
    p.put("input_shape", new Object[] {3L, 224L, 224L});
    p.put("pretrain_embed_dimension", (long) DIM);
    p.put("target_embed_dimension", (long) DIM);
    p.put("patchsize", 1L);
    p.put("patchstride", 1L);
    p.put("anomaly_scorer_num_nn", 1L);
    return p;
  }

  /** A model folder with the fixture's index and the given params pickle. */
  Path folder(byte[] params) throws IOException {
    return folder(params, resource(ReferenceImport.INDEX_FILE));
  }

  Path folder(byte[] params, byte[] index) throws IOException {
    Path dir = Files.createTempDirectory(tmp, "ref");
    Files.write(dir.resolve(ReferenceImport.PARAMS_FILE), params);
    Files.write(dir.resolve(ReferenceImport.INDEX_FILE), index);
    return dir;
  }

  // ---------------------------------------------------------------- the fixture

  @Test
  void importsTheFixture() throws IOException {
    try (PatchCoreModel m = ReferenceImport.importReference(fixture(), null)) {
      assertThat(m.bankSize()).isEqualTo(ROWS);
      assertThat(m.candidateSize()).isEqualTo(ROWS);
      assertThat(m.dimension()).isEqualTo(DIM);
      assertThat(m.memoryBank()).containsExactly(vectors());
      assertThat(m.layers()).containsExactly("layer2", "layer3");
      PatchCore c = m.configuration();
      assertThat(c.layers()).containsExactly("layer2", "layer3");
      assertThat(c.patchSize()).isEqualTo(1);
      assertThat(c.patchStride()).isEqualTo(1);
      assertThat(c.pretrainDimension()).isEqualTo(DIM);
      assertThat(c.targetDimension()).isEqualTo(DIM);
      assertThat(c.neighbours()).isEqualTo(1);
      assertThat(c.sampler()).isSameAs(Samplers.identity());
      assertThat(c.imageScoring()).isEqualTo(ImageScoring.MAX);
      assertThat(c.anomalyMapSigma()).isEqualTo(4.0);
      assertThat(c.seed()).isZero();
      assertThat(c.backbone).isNull();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"params_protocol2.pkl", "params_protocol5.pkl"})
  void readsTheParametersInOtherProtocols(String file) throws IOException {
    Map<Object, Object> expected = SafePickle.readDict(resource(ReferenceImport.PARAMS_FILE), "p4");
    Map<Object, Object> got = SafePickle.readDict(resource(file), file);
    assertThat(got).isEqualTo(expected);
    assertThat(got.get("input_shape")).isEqualTo(List.of(3L, 224L, 224L));
    try (PatchCoreModel m = ReferenceImport.importReference(folder(resource(file)), null)) {
      assertThat(m.memoryBank()).containsExactly(vectors());
    }
  }

  /**
   * Feature maps whose p=1 embeddings are {@code rows}: two 16-channel layers; the target pooling
   * averages channel pairs, so channels 2k and 2k+1 of layer2 (k < 8) and of layer3 (k >= 8)
   * both hold component k.
   */
  static FeatureMaps mapsOf(float[][] rows, int h, int w) {
    float[] l2 = new float[DIM * h * w];
    float[] l3 = new float[DIM * h * w];
    for (int pos = 0; pos < h * w; pos++) {
      for (int k = 0; k < DIM; k++) {
        float[] layer = k < DIM / 2 ? l2 : l3;
        int c = 2 * (k % (DIM / 2));
        layer[c * h * w + pos] = rows[pos][k];
        layer[(c + 1) * h * w + pos] = rows[pos][k];
      }
    }
    return new FeatureMaps(h * 4, w * 4, List.of(new FeatureMap("layer2", DIM, h, w, l2),
        new FeatureMap("layer3", DIM, h, w, l3)));
  }

  static float[] row(float[] bank, int i) {
    return Arrays.copyOfRange(bank, i * DIM, (i + 1) * DIM);
  }

  @Test
  void scoresFeatures() throws IOException {
    float[] bank = vectors();
    try (PatchCoreModel m = ReferenceImport.importReference(fixture(), null)) {
      float[][] rows = {row(bank, 0), row(bank, 7), row(bank, 39), row(bank, 12), row(bank, 3), row(bank, 20)};
      AnomalyResult normal = m.scoreFeatures(mapsOf(rows, 2, 3));
      assertThat(normal.score()).isCloseTo(0.0, within(1e-5));
      for (float s : normal.patchScores().toArray()) {
        assertThat((double) s).isCloseTo(0.0, within(1e-5));
      }

      SplittableRandom rnd = new SplittableRandom(7);
      float[] q = new float[DIM];
      for (int k = 0; k < DIM; k++) {
        q[k] = (float) (rnd.nextDouble() * 4 - 2);
      }
      double nearest = Double.MAX_VALUE;
      for (int i = 0; i < ROWS; i++) {
        double d = 0;
        for (int k = 0; k < DIM; k++) {
          double diff = q[k] - bank[i * DIM + k];
          d += diff * diff;
        }
        nearest = Math.min(nearest, d);
      }
      rows[4] = q;
      AnomalyResult odd = m.scoreFeatures(mapsOf(rows, 2, 3));
      assertThat(odd.score()).isCloseTo(nearest, within(1e-4 * nearest));
      assertThat((double) odd.patchScores().toArray()[4]).isCloseTo(nearest, within(1e-4 * nearest));
    }
  }

  @Test
  void roundTripsThroughTheModelFormat() throws IOException {
    Path file = tmp.resolve("imported.patchcore");
    float[][] rows = new float[6][];
    SplittableRandom rnd = new SplittableRandom(3);
    for (int i = 0; i < rows.length; i++) {
      rows[i] = new float[DIM];
      for (int k = 0; k < DIM; k++) {
        rows[i][k] = (float) rnd.nextGaussian();
      }
    }
    FeatureMaps maps = mapsOf(rows, 2, 3);
    try (PatchCoreModel m = ReferenceImport.importReference(fixture(), null)) {
      m.save(file);
      try (PatchCoreModel back = PatchCoreModel.load(file, null)) {
        assertThat(back.memoryBank()).containsExactly(m.memoryBank());
        assertThat(back.configuration().toString()).isEqualTo(m.configuration().toString());
        assertThat(back.candidateSize()).isEqualTo(ROWS);
        assertThat(back.scoreFeatures(maps).score()).isEqualTo(m.scoreFeatures(maps).score());
      }
    }
  }

  /** A backbone that only has layer names. */
  record Names(String id, List<String> layerNames) implements FeatureExtractor {
    @Override
    public FeatureMaps extract(BufferedImage image) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void close() {}
  }

  @Test
  void checksTheBackbonesLayers() throws IOException {
    Names good = new Names("wrn50.pt", List.of("layer1", "layer2", "layer3", "layer4"));
    Path file = tmp.resolve("with-backbone.patchcore");
    try (PatchCoreModel m = ReferenceImport.importReference(fixture(), good)) {
      assertThat(m.configuration().backbone).isSameAs(good);
      m.save(file);
    }
    try (PatchCoreModel back = PatchCoreModel.load(file, good)) {
      assertThat(back.bankSize()).isEqualTo(ROWS);
    }
    Names bad = new Names("vit.pt", List.of("blocks.8", "blocks.11"));
    assertThatThrownBy(() -> ReferenceImport.importReference(fixture(), bad))
        .isInstanceOf(ModelFormatException.class)
        .hasMessageContaining(ReferenceImport.PARAMS_FILE)
        .hasMessageContaining("[layer2, layer3]")
        .hasMessageContaining("[blocks.8, blocks.11]")
        .hasMessageContaining("'vit.pt'")
        .hasMessageContaining("'wideresnet50'");
  }

  @Test
  void mapsOtherValues() throws IOException {
    Map<String, Object> p = params();
    p.put("layers_to_extract_from", List.of("features.7"));
    p.put("patchsize", 5L);
    p.put("patchstride", 2L);
    p.put("pretrain_embed_dimension", 1024L);
    p.put("anomaly_scorer_num_nn", 3L);
    p.remove("input_shape");
    p.remove("backbone.name");
    p.put("extra.key.of.a.fork", List.of(1.5, true));
    try (PatchCoreModel m = ReferenceImport.importReference(folder(Pickles.dump(p)), null)) {
      PatchCore c = m.configuration();
      assertThat(c.layers()).containsExactly("features.7");
      assertThat(c.patchSize()).isEqualTo(5);
      assertThat(c.patchStride()).isEqualTo(2);
      assertThat(c.pretrainDimension()).isEqualTo(1024);
      assertThat(c.targetDimension()).isEqualTo(DIM);
      assertThat(c.neighbours()).isEqualTo(3);
    }
  }

  @Test
  void explainsMissingFiles() throws IOException {
    Path empty = Files.createTempDirectory(tmp, "empty");
    assertThatThrownBy(() -> ReferenceImport.importReference(empty, null))
        .isInstanceOf(NoSuchFileException.class)
        .hasMessageContaining(empty.resolve(ReferenceImport.PARAMS_FILE).toString());
    Path ensemble = Files.createTempDirectory(tmp, "ensemble");
    Files.write(ensemble.resolve("Ensemble-1-2-" + ReferenceImport.PARAMS_FILE), resource(ReferenceImport.PARAMS_FILE));
    assertThatThrownBy(() -> ReferenceImport.importReference(ensemble, null))
        .isInstanceOf(NoSuchFileException.class)
        .hasMessageContaining("Ensemble-1-2-" + ReferenceImport.PARAMS_FILE)
        .hasMessageContaining("ensemble");
    Path noIndex = Files.createTempDirectory(tmp, "noindex");
    Files.write(noIndex.resolve(ReferenceImport.PARAMS_FILE), resource(ReferenceImport.PARAMS_FILE));
    assertThatThrownBy(() -> ReferenceImport.importReference(noIndex, null))
        .isInstanceOf(NoSuchFileException.class)
        .hasMessageContaining(ReferenceImport.INDEX_FILE);
    assertThatThrownBy(() -> ReferenceImport.importReference(tmp.resolve("nowhere"), null))
        .isInstanceOf(NoSuchFileException.class)
        .hasMessageContaining("nowhere");
  }

  // ---------------------------------------------------------------- damaged faiss files

  static byte[] index() throws IOException {
    return resource(ReferenceImport.INDEX_FILE);
  }

  void assertIndexRefused(byte[] index, String... parts) throws IOException {
    Path dir = folder(resource(ReferenceImport.PARAMS_FILE), index);
    var t = assertThatThrownBy(() -> ReferenceImport.importReference(dir, null))
        .isInstanceOf(ModelFormatException.class)
        .hasMessageStartingWith(dir.resolve(ReferenceImport.INDEX_FILE).toString());
    for (String part : parts) {
      t.hasMessageContaining(part);
    }
  }

  static byte[] patch(byte[] b, int offset, ByteBuffer value) {
    byte[] out = b.clone();
    byte[] v = value.array();
    System.arraycopy(v, 0, out, offset, v.length);
    return out;
  }

  static ByteBuffer le(int bytes) {
    return ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
  }

  @Test
  void refusesOtherIndexTypes() throws IOException {
    byte[] ip = index();
    ip[3] = 'I';
    assertIndexRefused(ip, "'IxFI'", "inner-product", "IndexFlatL2");
    byte[] ivf = index();
    System.arraycopy("IwFl".getBytes(StandardCharsets.US_ASCII), 0, ivf, 0, 4);
    assertIndexRefused(ivf, "'IwFl'", "IVF");
    byte[] binary = index();
    binary[0] = (byte) 0x93;
    assertIndexRefused(binary, "0x93784632");
    assertIndexRefused(new byte[0], "too short");
    assertIndexRefused(Arrays.copyOf(index(), 20), "truncated", "20 bytes");
  }

  @Test
  void refusesBadHeaders() throws IOException {
    // ntotal inflated alone, and together with the float count: checked before any allocation
    assertIndexRefused(patch(index(), 8, le(8).putLong(1L << 40)), "exceeds the limit");
    assertIndexRefused(patch(index(), 8, le(8).putLong(41)), "declares 640 floats", "needs 656");
    byte[] inflated = patch(patch(index(), 8, le(8).putLong(100_000_000)), 37, le(8).putLong(1_600_000_000L));
    assertIndexRefused(inflated, "truncated", "6400000045");
    assertIndexRefused(patch(index(), 8, le(8).putLong(0)), "ntotal = 0");
    assertIndexRefused(patch(index(), 8, le(8).putLong(-3)), "ntotal = -3");
    assertIndexRefused(patch(index(), 4, le(4).putInt(0)), "d = 0");
    assertIndexRefused(patch(index(), 4, le(4).putInt(8)), "declares 640 floats", "needs 320");
    assertIndexRefused(patch(index(), 33, le(4).putInt(0)), "metric type 0");
    assertIndexRefused(patch(index(), 32, le(1).put((byte) 7)), "is_trained flag is 7");
    assertIndexRefused(patch(index(), 37, le(8).putLong(-1)), "18446744073709551615");
  }

  @Test
  void refusesDamagedVectors() throws IOException {
    byte[] full = index();
    assertIndexRefused(Arrays.copyOf(full, full.length - 10), "truncated", Integer.toString(full.length));
    assertIndexRefused(Arrays.copyOf(full, full.length + 3), "trailing bytes");
    assertIndexRefused(patch(full, 45 + 4 * (5 * DIM + 2), le(4).putFloat(Float.NaN)), "vector 5", "component 2",
        "NaN");
  }

  @Test
  void refusesABankOfAnotherDimension() throws IOException {
    Map<String, Object> p = params();
    p.put("target_embed_dimension", 32L);
    Path dir = folder(Pickles.dump(p));
    assertThatThrownBy(() -> ReferenceImport.importReference(dir, null))
        .isInstanceOf(ModelFormatException.class)
        .hasMessageStartingWith(dir.resolve(ReferenceImport.INDEX_FILE).toString())
        .hasMessageContaining("d = 16")
        .hasMessageContaining("target_embed_dimension is 32");
  }

  // ---------------------------------------------------------------- parameters

  void assertParamsRefused(Map<String, Object> p, String... parts) throws IOException {
    assertParamsRefused(Pickles.dump(p), parts);
  }

  void assertParamsRefused(byte[] pickle, String... parts) throws IOException {
    Path dir = folder(pickle);
    var t = assertThatThrownBy(() -> ReferenceImport.importReference(dir, null))
        .isInstanceOf(ModelFormatException.class)
        .hasMessageStartingWith(dir.resolve(ReferenceImport.PARAMS_FILE).toString());
    for (String part : parts) {
      t.hasMessageContaining(part);
    }
  }

  @Test
  void refusesBadParameters() throws IOException {
    Map<String, Object> p = params();
    p.remove("patchsize");
    assertParamsRefused(p, "'patchsize' is missing");
    p = params();
    p.put("patchsize", "3");
    assertParamsRefused(p, "'patchsize' must be an integer", "got '3'");
    p = params();
    p.put("patchsize", 4L);
    assertParamsRefused(p, "patchsize = 4 is even");
    p = params();
    p.put("patchstride", 0L);
    assertParamsRefused(p, "'patchstride' must be an integer in [1, ", "got 0");
    p = params();
    p.put("patchstride", null);
    assertParamsRefused(p, "'patchstride'", "got None");
    p = params();
    p.put("anomaly_scorer_num_nn", 41L);
    assertParamsRefused(p, "anomaly_scorer_num_nn = 41 exceeds the 40 vectors");
    p = params();
    p.put("pretrain_embed_dimension", new BigInteger("100000000000000000000"));
    assertParamsRefused(p, "'pretrain_embed_dimension'", "100000000000000000000");
    p = params();
    p.put("layers_to_extract_from", List.of());
    assertParamsRefused(p, "'layers_to_extract_from' must be a list of 1 to 1024 layer names", "got []");
    p = params();
    p.put("layers_to_extract_from", List.of("layer2", "layer2"));
    assertParamsRefused(p, "distinct");
    p = params();
    p.put("layers_to_extract_from", List.of("layer2", 3L));
    assertParamsRefused(p, "non-blank strings", "['layer2', 3]");
    p = params();
    p.put("input_shape", new Object[] {3L, 224L});
    assertParamsRefused(p, "'input_shape'", "[3, 224]");
    p = params();
    p.put("backbone.name", 5L);
    assertParamsRefused(p, "'backbone.name'", "got 5");
    assertParamsRefused(Pickles.value(List.of(1L)), "holds [1], expected a dict");
  }

  @Test
  void refusesAHugeParametersFile() throws IOException {
    byte[] big = new byte[ReferenceImport.MAX_PARAMS_BYTES + 1];
    assertParamsRefused(big, "exceeds the limit of 1048576");
  }

  // ---------------------------------------------------------------- the pickle reader

  @Test
  void readsEveryPlainValueAsPythonWritesIt() throws IOException {
    for (String file : List.of("plain_values_protocol2.pkl", "plain_values_protocol4.pkl")) {
      Map<Object, Object> d = SafePickle.readDict(resource(file), file);
      assertThat(d).as(file).hasSize(27);
      assertThat(d).containsEntry("none", null).containsEntry("true", true).containsEntry("false", false)
          .containsEntry("byte", 200L).containsEntry("short", 40000L).containsEntry("int", 100000L)
          .containsEntry("negative", -5L).containsEntry("big", 1L << 40)
          .containsEntry("huge", BigInteger.TWO.pow(70)).containsEntry("negative_huge", BigInteger.TWO.pow(70).negate())
          .containsEntry("float", 0.1).containsEntry("negative_float", -1.5e300)
          .containsEntry("text", "h\u00e9llo \u2713").containsEntry("empty", "")
          .containsEntry("long_text", "x".repeat(300))
          .containsEntry("list", Arrays.asList(1L, "a", null)).containsEntry("empty_list", List.of())
          .containsEntry("tuple1", List.of(1L)).containsEntry("tuple2", List.of(1L, 2L))
          .containsEntry("tuple4", List.of(1L, 2L, 3L, 4L)).containsEntry("empty_tuple", List.of())
          .containsEntry("nested", Map.of("inner", List.of(List.of(1L, 2L), List.of(3L, List.of(4L)))))
          .containsEntry(List.of(1L, "k"), "tuple key").containsEntry(5L, "int key")
          .containsEntry("shared", List.of("shared-string", "shared-string"))
          .containsEntry("again", "s299");
      List<?> many = (List<?>) d.get("many");
      assertThat(many).hasSize(300);
      assertThat(many.get(0)).isEqualTo("s0");
      assertThat(many.get(299)).isEqualTo("s299");
      assertThat(new ArrayList<>(d.keySet()).get(0)).isEqualTo("none");
    }
  }

  @Test
  void refusesTheMaliciousFixtureWithoutSideEffects() throws IOException {
    Path marker = Paths.get("/tmp/patchcore-pickle-pwned");
    boolean before = Files.exists(marker);
    assertParamsRefused(resource("malicious_params.pkl"), "opcode GLOBAL (0x63)", "offset 2",
        "nothing in the file is imported or executed");
    assertThat(Files.exists(marker)).isEqualTo(before);
  }

  @ParameterizedTest
  @ValueSource(ints = {0x63, 0x93, 0x52, 0x62, 0x69, 0x6f, 0x81, 0x92, 0x50, 0x51, 0x82, 0x43, 0x8f, 0x64, 0x30,
      0x8d, 0x97, 0xff, 0x00})
  void refusesEveryOtherOpcode(int op) {
    // PROTO 4, EMPTY_DICT, then the opcode
    byte[] pickle = {(byte) 0x80, 4, 0x7d, (byte) op, 0, 0, 0, 0, 0, 0, 0, 0, 0x2e};
    assertThatThrownBy(() -> SafePickle.readDict(pickle, "x.pkl"))
        .isInstanceOf(ModelFormatException.class)
        .hasMessageStartingWith("x.pkl: pickle offset 3: opcode ")
        .hasMessageContaining(String.format("(0x%02x) is not allowed", op))
        .hasMessageContaining(SafePickle.opName(op).split(" ")[0]);
  }

  @Test
  void refusesAStackGlobalReducePayload() {
    // PROTO 4, 'os', 'system', STACK_GLOBAL, 'id', TUPLE1, REDUCE, STOP: never resolved or called
    Pickles.Writer w = new Pickles.Writer().proto(4).str("os").str("system").op(0x93).str("id").op(0x85).op(0x52)
        .op(0x2e);
    assertThatThrownBy(() -> SafePickle.readDict(w.bytes(), "evil.pkl"))
        .isInstanceOf(ModelFormatException.class)
        .hasMessageContaining("STACK_GLOBAL (0x93)")
        .hasMessageContaining("offset 14");
  }

  @Test
  void refusesEveryTruncation() throws IOException {
    byte[] full = resource(ReferenceImport.PARAMS_FILE);
    for (int n = 0; n < full.length; n++) {
      byte[] cut = Arrays.copyOf(full, n);
      assertThatThrownBy(() -> SafePickle.readDict(cut, "cut.pkl")).as("prefix of %d bytes", n)
          .isInstanceOf(ModelFormatException.class)
          .hasMessageStartingWith("cut.pkl: ");
    }
  }

  @Test
  void survivesCorruption() throws IOException {
    byte[] full = resource("plain_values_protocol4.pkl");
    SplittableRandom rnd = new SplittableRandom(11);
    for (int trial = 0; trial < 3000; trial++) {
      byte[] b = full.clone();
      int flips = 1 + rnd.nextInt(3);
      for (int i = 0; i < flips; i++) {
        b[rnd.nextInt(b.length)] = (byte) rnd.nextInt(256);
      }
      try {
        SafePickle.readDict(b, "fuzz.pkl");
      } catch (ModelFormatException e) {
        assertThat(e.getMessage()).startsWith("fuzz.pkl: ");
      }
    }
  }

  @Test
  void boundsDeclaredSizes() {
    // BINUNICODE declaring 4 GiB - 16 bytes: refused before anything is allocated
    byte[] huge = {(byte) 0x80, 4, 0x58, (byte) 0xf0, (byte) 0xff, (byte) 0xff, (byte) 0xff, 'a', 0x2e};
    assertThatThrownBy(() -> SafePickle.readDict(huge, "s.pkl"))
        .isInstanceOf(ModelFormatException.class)
        .hasMessageContaining("offset 2")
        .hasMessageContaining("BINUNICODE declares a string of 4294967280 bytes, but only 2 bytes remain");
    byte[] shortStr = {(byte) 0x80, 4, (byte) 0x8c, (byte) 200, 'a', 0x2e};
    assertThatThrownBy(() -> SafePickle.readDict(shortStr, "s.pkl"))
        .hasMessageContaining("SHORT_BINUNICODE declares a string of 200 bytes");
    byte[] frame = {(byte) 0x80, 4, (byte) 0x95, 0, 0, 0, 0, 0, 0, 0, (byte) 0x80, 0x7d, 0x2e};
    assertThatThrownBy(() -> SafePickle.readDict(frame, "f.pkl"))
        .hasMessageContaining("FRAME of 9223372036854775808 bytes, but only 2 remain");
    byte[] badUtf8 = {(byte) 0x80, 4, (byte) 0x8c, 1, (byte) 0xc3, 0x2e};
    assertThatThrownBy(() -> SafePickle.readDict(badUtf8, "u.pkl")).hasMessageContaining("not valid UTF-8");
  }

  @Test
  void boundsNesting() throws IOException {
    // 40 nested tuples: EMPTY_TUPLE then TUPLE1 39 times
    Pickles.Writer tuples = new Pickles.Writer().proto(4).op(0x29);
    IntStream.range(0, 39).forEach(i -> tuples.op(0x85));
    assertThatThrownBy(() -> SafePickle.readDict(tuples.op(0x2e).bytes(), "t.pkl"))
        .isInstanceOf(ModelFormatException.class)
        .hasMessageContaining("nested 33 deep, more than the limit of 32");
    // 40 nested lists: EMPTY_LIST 40 times then APPEND 39 times
    Pickles.Writer lists = new Pickles.Writer().proto(4);
    IntStream.range(0, 40).forEach(i -> lists.op(0x5d));
    IntStream.range(0, 39).forEach(i -> lists.op(0x61));
    assertThatThrownBy(() -> SafePickle.readDict(lists.op(0x2e).bytes(), "l.pkl"))
        .hasMessageContaining("nested 33 deep");
    // 32 levels are fine
    Map<String, Object> inner = new LinkedHashMap<>();
    Object v = 1L;
    for (int i = 0; i < 31; i++) {
      v = List.of(v);
    }
    inner.put("deep", v);
    assertThat(SafePickle.readDict(Pickles.value(inner), "ok.pkl")).containsKey("deep");
  }

  @Test
  void refusesSharedContainersAndOtherMisuse() {
    // EMPTY_LIST, MEMOIZE, BINGET 0, APPEND: a list that contains itself
    byte[] cycle = {(byte) 0x80, 4, 0x5d, (byte) 0x94, 0x68, 0, 0x61, 0x2e};
    assertThatThrownBy(() -> SafePickle.readDict(cycle, "c.pkl"))
        .hasMessageContaining("BINGET (0x68) of memo entry 0 ([]): shared or recursive lists and dicts");
    byte[] unknownMemo = {(byte) 0x80, 4, 0x7d, 0x6a, 9, 0, 0, 0, 0x2e};
    assertThatThrownBy(() -> SafePickle.readDict(unknownMemo, "m.pkl"))
        .hasMessageContaining("LONG_BINGET (0x6a) of memo entry 9, which was never stored");
    byte[] protocol0 = "(dp0\n.".getBytes(StandardCharsets.US_ASCII);
    assertThatThrownBy(() -> SafePickle.readDict(protocol0, "p0.pkl"))
        .hasMessageContaining("not a pickle of protocol 2 or later");
    byte[] protocol6 = {(byte) 0x80, 6, 0x7d, 0x2e};
    assertThatThrownBy(() -> SafePickle.readDict(protocol6, "p6.pkl"))
        .hasMessageContaining("pickle protocol 6 is not supported");
    byte[] trailing = {(byte) 0x80, 4, 0x7d, 0x2e, 0x2e};
    assertThatThrownBy(() -> SafePickle.readDict(trailing, "t.pkl")).hasMessageContaining("1 bytes follow the STOP");
    byte[] twoValues = {(byte) 0x80, 4, 0x7d, 0x7d, 0x2e};
    assertThatThrownBy(() -> SafePickle.readDict(twoValues, "t.pkl")).hasMessageContaining("2 values on the stack");
    byte[] openMark = {(byte) 0x80, 4, 0x7d, 0x28, 0x2e};
    assertThatThrownBy(() -> SafePickle.readDict(openMark, "t.pkl")).hasMessageContaining("unclosed MARK");
    byte[] listKey = {(byte) 0x80, 4, 0x7d, 0x5d, 0x4e, 0x73, 0x2e};
    assertThatThrownBy(() -> SafePickle.readDict(listKey, "k.pkl")).hasMessageContaining("SETITEM with the key []");
    byte[] appendToDict = {(byte) 0x80, 4, 0x7d, 0x4e, 0x61, 0x2e};
    assertThatThrownBy(() -> SafePickle.readDict(appendToDict, "a.pkl"))
        .hasMessageContaining("APPEND to a dict of 0 items, expected a list");
    byte[] oddItems = {(byte) 0x80, 4, 0x7d, 0x28, 0x4e, 0x75, 0x2e};
    assertThatThrownBy(() -> SafePickle.readDict(oddItems, "o.pkl")).hasMessageContaining("odd number (1)");
    byte[] underflow = {(byte) 0x80, 4, 0x7d, 0x28, 0x4e, 0x73, 0x2e};
    assertThatThrownBy(() -> SafePickle.readDict(underflow, "u.pkl"))
        .hasMessageContaining("SETITEM needs 2 values on the stack, found 1");
    byte[] noMark = {(byte) 0x80, 4, 0x7d, 0x75, 0x2e};
    assertThatThrownBy(() -> SafePickle.readDict(noMark, "n.pkl")).hasMessageContaining("SETITEMS without a MARK");
  }

  // ---------------------------------------------------------------- a test-only pickle writer

  /** Writes plain values as protocol-4 pickles (what the reference's pickle.dump emits, minus frames). */
  static final class Pickles {
    private Pickles() {}

    static byte[] dump(Map<String, Object> params) {
      return value(params);
    }

    static byte[] value(Object v) {
      Writer w = new Writer().proto(4);
      w.value(v);
      return w.op(0x2e).bytes();
    }

    static final class Writer {
      private final ByteArrayOutputStream out = new ByteArrayOutputStream();

      Writer op(int op) {
        out.write(op);
        return this;
      }

      Writer proto(int v) {
        return op(0x80).op(v);
      }

      Writer str(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length < 256) {
          op(0x8c).op(b.length);
        } else {
          op(0x58);
          out.writeBytes(le(4).putInt(b.length).array());
        }
        out.writeBytes(b);
        return this;
      }

      void value(Object v) {
        if (v == null) {
          op(0x4e);
        } else if (v instanceof Boolean b) {
          op(b ? 0x88 : 0x89);
        } else if (v instanceof String s) {
          str(s);
        } else if (v instanceof Long l && l == (int) (long) l) {
          op(0x4a);
          out.writeBytes(le(4).putInt((int) (long) l).array());
        } else if (v instanceof Long || v instanceof BigInteger) {
          byte[] be = new BigInteger(v.toString()).toByteArray();
          op(0x8a).op(be.length);
          for (int i = be.length - 1; i >= 0; i--) {
            out.write(be[i]);
          }
        } else if (v instanceof Double d) {
          op(0x47);
          out.writeBytes(ByteBuffer.allocate(8).putDouble(d).array());
        } else if (v instanceof List<?> list) {
          op(0x5d);
          if (!list.isEmpty()) {
            op(0x28);
            list.forEach(this::value);
            op(0x65);
          }
        } else if (v instanceof Object[] tuple) {
          op(0x28);
          Arrays.stream(tuple).forEach(this::value);
          op(0x74);
        } else if (v instanceof Map<?, ?> map) {
          op(0x7d).op(0x28);
          map.forEach((k, x) -> {
            value(k);
            value(x);
          });
          op(0x75);
        } else {
          throw new IllegalArgumentException("cannot pickle " + v);
        }
      }

      byte[] bytes() {
        return out.toByteArray();
      }
    }
  }
}
