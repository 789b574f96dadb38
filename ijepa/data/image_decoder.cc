#include "ijepa/data/image_decoder.h"

// libjpeg's headers need size_t and FILE declared first.
#include <csetjmp>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <vector>

#include <jpeglib.h>
#include <jerror.h>
#include <png.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace ijepa::data {
namespace {

// Progressive JPEGs may carry any number of scans; real files have at most a few dozen, while a
// hostile one can make decoding take minutes. libjpeg-turbo's own fuzzers use the same guard.
constexpr int kMaxJpegScans = 500;

struct JpegErrorManager {
  jpeg_error_mgr pub;
  jpeg_progress_mgr progress;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
  bool truncated;
  bool too_many_scans;
};

[[noreturn]] void JpegErrorExit(j_common_ptr cinfo) {
  auto* manager = reinterpret_cast<JpegErrorManager*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, manager->message);
  std::longjmp(manager->jump, 1);
}

void JpegEmitMessage(j_common_ptr cinfo, int level) {
  auto* manager = reinterpret_cast<JpegErrorManager*>(cinfo->err);
  if (level < 0) {
    ++cinfo->err->num_warnings;
    // Data ends before the image does: libjpeg would fill the rest with grey. PIL refuses such
    // files ("image file is truncated"), and so do we.
    if (cinfo->err->msg_code == JWRN_JPEG_EOF) {
      manager->truncated = true;
      (*cinfo->err->format_message)(cinfo, manager->message);
      std::longjmp(manager->jump, 1);
    }
  }
}

void JpegProgress(j_common_ptr cinfo) {
  if (cinfo->is_decompressor) {
    auto* dinfo = reinterpret_cast<j_decompress_ptr>(cinfo);
    if (dinfo->input_scan_number > kMaxJpegScans) {
      auto* manager = reinterpret_cast<JpegErrorManager*>(cinfo->err);
      manager->too_many_scans = true;
      std::snprintf(manager->message, sizeof(manager->message), "more than %d scans",
                    kMaxJpegScans);
      std::longjmp(manager->jump, 1);
    }
  }
}

int ValidDownscale(int factor) {
  if (factor >= 8) return 8;
  if (factor >= 4) return 4;
  if (factor >= 2) return 2;
  return 1;
}

}  // namespace

ImageFormat DetectImageFormat(std::string_view bytes) {
  const auto* u = reinterpret_cast<const uint8_t*>(bytes.data());
  if (bytes.size() >= 3 && u[0] == 0xFF && u[1] == 0xD8 && u[2] == 0xFF) return ImageFormat::kJpeg;
  static constexpr uint8_t kPng[8] = {0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A};
  if (bytes.size() >= 8 && std::memcmp(u, kPng, 8) == 0) return ImageFormat::kPng;
  return ImageFormat::kUnknown;
}

absl::StatusOr<Image> DecodeJpeg(std::string_view bytes, absl::string_view what,
                                 const DownscaleFn& downscale) {
  // Everything that lives across setjmp is declared before it; nothing with a destructor is
  // created between setjmp and the last libjpeg call.
  jpeg_decompress_struct cinfo;
  JpegErrorManager errors;
  std::memset(&errors, 0, sizeof(errors));
  Image image;
  std::vector<uint8_t> cmyk;
  std::vector<JSAMPROW> rows;
  cinfo.err = jpeg_std_error(&errors.pub);
  errors.pub.error_exit = JpegErrorExit;
  errors.pub.emit_message = JpegEmitMessage;
  if (setjmp(errors.jump)) {
    jpeg_destroy_decompress(&cinfo);
    const std::string detail(errors.message);
    if (errors.truncated) {
      return absl::DataLossError(absl::StrCat(what, ": truncated JPEG (", detail, ")"));
    }
    return absl::InvalidArgumentError(absl::StrCat(what, ": corrupt JPEG (", detail, ")"));
  }
  jpeg_create_decompress(&cinfo);
  errors.progress.progress_monitor = JpegProgress;
  cinfo.progress = &errors.progress;
  jpeg_mem_src(&cinfo, reinterpret_cast<const unsigned char*>(bytes.data()),
               static_cast<unsigned long>(bytes.size()));
  jpeg_read_header(&cinfo, TRUE);
  const int64_t pixels = static_cast<int64_t>(cinfo.image_width) * cinfo.image_height;
  if (pixels > kMaxImagePixels || pixels == 0) {
    const int width = cinfo.image_width, height = cinfo.image_height;
    jpeg_destroy_decompress(&cinfo);
    return absl::InvalidArgumentError(absl::StrCat(what, ": JPEG of ", width, "x", height,
                                                   " pixels; expected 1 to ", kMaxImagePixels));
  }
  const bool is_cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
  if (cinfo.num_components == 1) {
    cinfo.out_color_space = JCS_GRAYSCALE;
  } else if (is_cmyk) {
    cinfo.out_color_space = JCS_CMYK;
  } else {
    cinfo.out_color_space = JCS_RGB;
  }
  if (downscale) {
    const int factor = ValidDownscale(downscale(cinfo.image_height, cinfo.image_width));
    cinfo.scale_num = 1;
    cinfo.scale_denom = factor;
  }
  jpeg_start_decompress(&cinfo);
  image.height = cinfo.output_height;
  image.width = cinfo.output_width;
  image.channels = cinfo.out_color_space == JCS_GRAYSCALE ? 1 : 3;
  const int components = cinfo.output_components;
  const size_t row_bytes = static_cast<size_t>(image.width) * components;
  std::vector<uint8_t>& target = is_cmyk ? cmyk : image.pixels;
  target.resize(row_bytes * image.height);
  rows.resize(cinfo.rec_outbuf_height);
  while (cinfo.output_scanline < cinfo.output_height) {
    int count = 0;
    for (; count < cinfo.rec_outbuf_height &&
           cinfo.output_scanline + count < cinfo.output_height;
         ++count) {
      rows[count] = target.data() + (cinfo.output_scanline + count) * row_bytes;
    }
    jpeg_read_scanlines(&cinfo, rows.data(), count);
  }
  // Adobe CMYK/YCCK JPEGs store inverted ink values; multiplying by K gives PIL's RGB.
  const bool inverted = cinfo.saw_Adobe_marker;
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  if (is_cmyk) {
    const size_t n = static_cast<size_t>(image.width) * image.height;
    image.pixels.resize(n * 3);
    for (size_t i = 0; i < n; ++i) {
      int c = cmyk[4 * i], m = cmyk[4 * i + 1], y = cmyk[4 * i + 2], k = cmyk[4 * i + 3];
      if (!inverted) c = 255 - c, m = 255 - m, y = 255 - y, k = 255 - k;
      image.pixels[3 * i] = static_cast<uint8_t>(c * k / 255);
      image.pixels[3 * i + 1] = static_cast<uint8_t>(m * k / 255);
      image.pixels[3 * i + 2] = static_cast<uint8_t>(y * k / 255);
    }
  }
  return image;
}

absl::StatusOr<Image> DecodePng(std::string_view bytes, absl::string_view what) {
  png_image png;
  std::memset(&png, 0, sizeof(png));
  png.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&png, bytes.data(), bytes.size())) {
    const std::string message(png.message);
    png_image_free(&png);
    return absl::InvalidArgumentError(absl::StrCat(what, ": corrupt PNG (", message, ")"));
  }
  const int64_t pixels = static_cast<int64_t>(png.width) * png.height;
  if (pixels > kMaxImagePixels || pixels == 0) {
    const int width = png.width, height = png.height;
    png_image_free(&png);
    return absl::InvalidArgumentError(absl::StrCat(what, ": PNG of ", width, "x", height,
                                                   " pixels; expected 1 to ", kMaxImagePixels));
  }
  const bool color = (png.format & PNG_FORMAT_FLAG_COLOR) != 0;
  const bool alpha = (png.format & PNG_FORMAT_FLAG_ALPHA) != 0;
  // Read alpha when present and drop it afterwards: without an alpha channel in the output
  // format, libpng would composite onto black, which PIL does not do.
  png.format = color ? (alpha ? PNG_FORMAT_RGBA : PNG_FORMAT_RGB)
                     : (alpha ? PNG_FORMAT_GA : PNG_FORMAT_GRAY);
  const int stored_channels = PNG_IMAGE_SAMPLE_CHANNELS(png.format);
  std::vector<uint8_t> buffer(PNG_IMAGE_SIZE(png));
  if (!png_image_finish_read(&png, nullptr, buffer.data(), 0, nullptr)) {
    const std::string message(png.message);
    png_image_free(&png);
    return absl::DataLossError(absl::StrCat(what, ": corrupt or truncated PNG (", message, ")"));
  }
  Image image;
  image.height = png.height;
  image.width = png.width;
  image.channels = color ? 3 : 1;
  png_image_free(&png);
  if (!alpha) {
    image.pixels = std::move(buffer);
    return image;
  }
  const size_t n = static_cast<size_t>(image.width) * image.height;
  image.pixels.resize(n * image.channels);
  for (size_t i = 0; i < n; ++i) {
    for (int c = 0; c < image.channels; ++c) {
      image.pixels[i * image.channels + c] = buffer[i * stored_channels + c];
    }
  }
  return image;
}

absl::StatusOr<Image> DecodeImage(std::string_view bytes, absl::string_view what,
                                  const DownscaleFn& downscale) {
  switch (DetectImageFormat(bytes)) {
    case ImageFormat::kJpeg:
      return DecodeJpeg(bytes, what, downscale);
    case ImageFormat::kPng:
      return DecodePng(bytes, what);
    case ImageFormat::kUnknown:
      break;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      what, ": not a JPEG or PNG file (", bytes.size(), " bytes; expected magic FF D8 FF or 89 'PNG')"));
}

}  // namespace ijepa::data
