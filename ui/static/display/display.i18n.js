// The hall display's texts (display/), Vietnamese and English.
// The words several pages use, and t(), are in /assets/i18n.js.
import { extend } from '/assets/i18n.js';

extend({
  vi: {
    'display.title': 'Màn hình gọi số',
    'display.now': 'Mời công dân có số',
    'display.to_counter': 'đến',
    'display.recent': 'Các số vừa gọi',
    'display.no_calls': 'Chưa có số nào được gọi',
    'display.queue': 'Đang chờ',
    'display.waiting_unit': 'người chờ',
    'display.eta': 'khoảng {time}',
    'display.sound': 'Bấm để bật âm thanh',
    'display.no_centre': 'Thiếu mã trung tâm: mở trang với ?centre=MÃ, ví dụ /display/?centre=hoan-kiem',
    'display.counter_idle': 'Mời công dân chờ',
    'display.counter_paused': 'Quầy tạm dừng',
  },
  en: {
    'display.title': 'Calling display',
    'display.now': 'Now calling',
    'display.to_counter': 'to',
    'display.recent': 'Recent calls',
    'display.no_calls': 'No ticket called yet',
    'display.queue': 'Waiting',
    'display.waiting_unit': 'waiting',
    'display.eta': 'about {time}',
    'display.sound': 'Tap to turn the sound on',
    'display.no_centre': 'No centre given: open the page with ?centre=ID, e.g. /display/?centre=hoan-kiem',
    'display.counter_idle': 'Please wait',
    'display.counter_paused': 'Counter paused',
  },
});
