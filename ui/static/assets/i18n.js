// The one message catalogue of Xếp Hàng's web pages: Vietnamese (default)
// and English. Pages mark text with data-i18n="key" (text content) and
// data-i18n-attr="attr:key;attr:key" (attributes); scripts call t(key, params).
// The choice of language is kept in localStorage and sent to the API as
// Accept-Language, so API errors come back in the same language.

const messages = {
  vi: {
    'app.name': 'Xếp Hàng',
    'lang.switch': 'English',
    'lang.switch.label': 'Chuyển sang tiếng Anh',
    'common.loading': 'Đang tải…',
    'common.cancel': 'Huỷ',
    'common.ok': 'Đồng ý',
    'common.close': 'Đóng',
    'common.minutes': '{n} phút',
    'common.under_minute': 'dưới 1 phút',
    'common.hours_minutes': '{h} giờ {m} phút',
    'common.network_error': 'Không kết nối được máy chủ. Vui lòng kiểm tra mạng và thử lại.',
    'common.priority': 'Ưu tiên',
    'common.booked': 'Đặt lịch',
    'common.counter': 'Quầy {n}',
    'conn.live': 'Đang cập nhật trực tiếp',
    'conn.connecting': 'Đang kết nối…',
    'conn.offline': 'Mất kết nối, đang thử lại…',

    'status.waiting': 'Đang chờ',
    'status.called': 'Đang được gọi',
    'status.done': 'Đã phục vụ xong',
    'status.no_show': 'Vắng mặt khi được gọi',
    'status.expired': 'Đã hết hiệu lực',
    'counter.status.open': 'Đang mở',
    'counter.status.paused': 'Tạm dừng',
    'counter.status.closed': 'Đang đóng',

    'login.title': 'Đăng nhập bàn gọi số',
    'login.username': 'Tên đăng nhập',
    'login.password': 'Mật khẩu',
    'login.submit': 'Đăng nhập',
    'login.busy': 'Đang đăng nhập…',

    'setup.title': 'Chọn quầy làm việc',
    'setup.centre': 'Trung tâm',
    'setup.counter': 'Quầy',
    'setup.start': 'Bắt đầu làm việc',
    'setup.services': 'Lĩnh vực: {list}',

    'console.title': 'Bàn gọi số',
    'console.signed_in_as': 'Cán bộ: {name}',
    'console.change': 'Đổi quầy',
    'console.signout': 'Đăng xuất',
    'console.current': 'Số đang phục vụ',
    'console.none': 'Chưa gọi số nào',
    'console.none_hint': 'Bấm “Gọi số tiếp theo” (phím N) để mời công dân kế tiếp.',
    'console.calls': 'Đã gọi {n} lần',
    'console.next': 'Gọi số tiếp theo',
    'console.recall': 'Gọi lại',
    'console.finish': 'Hoàn thành',
    'console.no_show': 'Vắng mặt',
    'console.transfer': 'Chuyển lĩnh vực',
    'console.pause': 'Tạm dừng',
    'console.resume': 'Tiếp tục',
    'console.open': 'Mở quầy',
    'console.shortcuts': 'Phím tắt: N gọi tiếp, R gọi lại, F hoàn thành, V vắng mặt, P tạm dừng/tiếp tục.',
    'console.queue': 'Số người chờ theo lĩnh vực',
    'console.waiting_list': 'Danh sách chờ tại quầy này',
    'console.waiting_empty': 'Không có ai đang chờ.',
    'console.call_this': 'Gọi số {number}',
    'console.call': 'Gọi',
    'console.waited': 'chờ {time}',
    'console.paused_banner': 'Quầy đang tạm dừng{reason}. Bấm “Tiếp tục” (phím P) để gọi số.',
    'console.closed_banner': 'Quầy chưa mở. Bấm “Gọi số tiếp theo” để bắt đầu.',
    'console.nobody': 'Không còn ai đang chờ.',
    'console.called': 'Đã gọi số {number}.',
    'console.recalled': 'Đã gọi lại số {number}.',
    'console.finished': 'Đã hoàn thành số {number}.',
    'console.no_showed': 'Đã ghi nhận số {number} vắng mặt.',
    'console.transferred': 'Đã chuyển số {number} sang lĩnh vực {service}.',
    'console.paused': 'Quầy đã tạm dừng.',
    'console.resumed': 'Quầy đã hoạt động trở lại.',
    'console.service_col': 'Lĩnh vực',
    'console.waiting_col': 'Đang chờ',
    'console.eta_col': 'Ước tính',
    'console.mine': 'quầy này phục vụ',
    'dialog.transfer.title': 'Chuyển số {number} sang lĩnh vực khác',
    'dialog.transfer.service': 'Lĩnh vực mới',
    'dialog.transfer.submit': 'Chuyển',
    'dialog.pause.title': 'Tạm dừng quầy',
    'dialog.pause.reason': 'Lý do',
    'dialog.pause.submit': 'Tạm dừng',
    'dialog.call.title': 'Gọi số {number} không theo thứ tự',
    'dialog.call.reason': 'Lý do (bắt buộc, được ghi lại)',
    'dialog.call.submit': 'Gọi số này',
    'dialog.reason.other': 'Lý do khác…',
    'dialog.reason.detail': 'Ghi rõ lý do',
    'reason.pause.lunch': 'Nghỉ trưa',
    'reason.pause.meeting': 'Họp',
    'reason.pause.break': 'Nghỉ giải lao',
    'reason.pause.system': 'Sự cố máy móc',
    'reason.call.priority': 'Đối tượng ưu tiên chưa được đánh dấu',
    'reason.call.supplement': 'Bổ sung hồ sơ đã hẹn',
    'reason.call.returned': 'Công dân quay lại sau khi vắng mặt',
    'reason.call.mistake': 'Sửa lần gọi nhầm',

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

    'track.title': 'Theo dõi số thứ tự',
    'track.number': 'Số thứ tự của bạn',
    'track.status': 'Trạng thái',
    'track.position': 'Số người trước bạn',
    'track.eta': 'Thời gian chờ ước tính',
    'track.service': 'Lĩnh vực',
    'track.issued': 'Lấy số lúc',
    'track.go_to': 'Mời bạn đến {counter}',
    'track.ahead_none': 'Bạn là người tiếp theo',
    'track.not_found': 'Không tìm thấy số thứ tự này.',
    'track.updated': 'Cập nhật lúc {time}',
    'track.note': 'Trang tự cập nhật. Vui lòng có mặt tại trung tâm khi còn khoảng 3 người trước bạn.',

    'weekday.0': 'Chủ nhật',
    'weekday.1': 'Thứ Hai',
    'weekday.2': 'Thứ Ba',
    'weekday.3': 'Thứ Tư',
    'weekday.4': 'Thứ Năm',
    'weekday.5': 'Thứ Sáu',
    'weekday.6': 'Thứ Bảy',

    'book.title': 'Đặt lịch hẹn trực tuyến — Xếp Hàng',
    'book.heading': 'Đặt lịch hẹn làm thủ tục hành chính',
    'book.intro': 'Chọn giờ đến trung tâm, không phải chờ lấy số.',
    'book.tab.book': 'Đặt lịch mới',
    'book.tab.lookup': 'Tra cứu / đổi / hủy lịch hẹn',
    'book.tabs': 'Chức năng',
    'book.step': 'Bước {n}/{total}',
    'book.back': 'Quay lại',
    'book.centre.title': 'Chọn trung tâm',
    'book.centre.none': 'Chưa có trung tâm nào nhận đặt lịch.',
    'book.service.title': 'Chọn lĩnh vực',
    'book.service.none': 'Trung tâm này chưa nhận đặt lịch trực tuyến.',
    'book.date.title': 'Chọn ngày',
    'book.date.today': 'Hôm nay',
    'book.date.tomorrow': 'Ngày mai',
    'book.date.closed': 'Nghỉ',
    'book.slot.title': 'Chọn giờ',
    'book.slot.left': 'Còn {n} chỗ',
    'book.slot.full': 'Hết chỗ',
    'book.slot.current': 'Giờ hẹn hiện tại',
    'book.slot.pick': 'Chọn giờ {time}, còn {n} chỗ',
    'book.slot.none': 'Ngày này không còn giờ trống. Vui lòng chọn ngày khác.',
    'book.slot.closed': 'Trung tâm nghỉ ngày này. Vui lòng chọn ngày khác.',
    'book.slot.refreshed': 'Khung giờ bạn chọn vừa hết chỗ. Danh sách giờ đã được cập nhật, vui lòng chọn giờ khác.',
    'book.part.morning': 'Buổi sáng',
    'book.part.afternoon': 'Buổi chiều',
    'book.part.evening': 'Buổi tối',
    'book.details.title': 'Thông tin người đến làm thủ tục',
    'book.id_number': 'Số căn cước công dân (CCCD)',
    'book.id_number.hint': '12 chữ số in trên thẻ căn cước.',
    'book.name': 'Họ và tên',
    'book.phone': 'Số điện thoại di động',
    'book.phone.hint': '10 chữ số, ví dụ 0912345678.',
    'book.privacy': 'Thông tin cá nhân chỉ dùng cho lịch hẹn này và được xóa sau thời hạn lưu trữ ({days} ngày sau ngày hẹn). Số căn cước không được lưu nguyên văn.',
    'book.pow.working': 'Đang kiểm tra chống máy tự động…',
    'book.pow.ready': 'Đã sẵn sàng gửi.',
    'book.pow.progress': 'Tiến độ kiểm tra chống máy tự động',
    'book.submit': 'Xác nhận đặt lịch',
    'book.submitting': 'Đang gửi…',
    'book.err.id_number': 'Số căn cước phải gồm đúng 12 chữ số.',
    'book.err.name': 'Vui lòng nhập họ và tên (từ 2 đến 100 ký tự).',
    'book.err.phone': 'Số di động gồm 10 chữ số, bắt đầu bằng 03, 05, 07, 08 hoặc 09.',
    'book.err.fix': 'Vui lòng sửa các ô được đánh dấu.',
    'book.summary.centre': 'Trung tâm',
    'book.summary.service': 'Lĩnh vực',
    'book.summary.date': 'Ngày',
    'book.summary.time': 'Giờ',
    'book.when': '{time}, {date}',
    'book.done.title': 'Đặt lịch thành công',
    'book.done.announce': 'Đặt lịch thành công. Mã lịch hẹn của bạn là {code}.',
    'book.done.code': 'Mã lịch hẹn của bạn',
    'book.done.keep': 'Hãy ghi lại mã này hoặc tải phiếu hẹn. Mã dùng để lấy số tại kiosk khi đến và để đổi hoặc hủy lịch.',
    'book.done.bring': 'Khi đến, vui lòng mang theo thẻ căn cước (CCCD) và đủ giấy tờ của thủ tục. Có thể lấy số tại kiosk từ {early} phút trước giờ hẹn; đến muộn quá {late} phút, bạn sẽ xếp hàng như người đến trực tiếp.',
    'book.done.papers': 'Giấy tờ cần mang',
    'book.done.id_card': 'Thẻ căn cước (CCCD) hoặc giấy tờ tùy thân',
    'book.pdf': 'Tải phiếu hẹn (PDF)',
    'book.ics': 'Thêm vào lịch (ICS)',
    'book.again': 'Đặt lịch khác',
    'book.manage': 'Đổi hoặc hủy lịch này',
    'book.display': 'Màn hình gọi số',
    'book.staff': 'Dành cho cán bộ',

    'lookup.title': 'Tra cứu lịch hẹn',
    'lookup.code': 'Mã lịch hẹn',
    'lookup.code.hint': '8 ký tự, ví dụ ABCD-EFGH.',
    'lookup.submit': 'Tra cứu',
    'lookup.err.code': 'Mã lịch hẹn gồm 8 chữ cái và chữ số.',
    'lookup.not_found': 'Không tìm thấy lịch hẹn có mã {code}. Vui lòng kiểm tra lại mã.',
    'lookup.status': 'Trạng thái',
    'lookup.changes': 'Số lần còn được đổi',
    'lookup.changes_value': '{n} trên {max} lần',
    'lookup.reschedule': 'Đổi lịch',
    'lookup.cancel': 'Hủy lịch hẹn',
    'lookup.keep': 'Không hủy',
    'lookup.cancel.title': 'Hủy lịch hẹn này?',
    'lookup.cancel.confirm': 'Xác nhận hủy',
    'lookup.verify.hint': 'Nhập số căn cước đã dùng khi đặt lịch để xác nhận.',
    'lookup.cancelled': 'Đã hủy lịch hẹn {code}.',
    'lookup.resched.title': 'Đổi sang ngày giờ khác',
    'lookup.resched.confirm': 'Xác nhận đổi lịch',
    'lookup.resched.pick': 'Vui lòng chọn ngày và giờ mới.',
    'lookup.resched.chosen': 'Giờ mới: {when}',
    'lookup.rescheduled': 'Đã đổi lịch hẹn sang {when}.',
    'lookup.no_changes': 'Lịch hẹn này đã hết lượt đổi. Bạn có thể hủy và đặt lịch mới.',
    'lookup.final': 'Lịch hẹn này không còn thay đổi được.',
    'booking.status.booked': 'Đã đặt',
    'booking.status.cancelled': 'Đã hủy',
    'booking.status.checked_in': 'Đã đến lấy số',
    'booking.status.no_show': 'Không đến',
  },
  en: {
    'app.name': 'Xếp Hàng',
    'lang.switch': 'Tiếng Việt',
    'lang.switch.label': 'Switch to Vietnamese',
    'common.loading': 'Loading…',
    'common.cancel': 'Cancel',
    'common.ok': 'OK',
    'common.close': 'Close',
    'common.minutes': '{n} min',
    'common.under_minute': 'under 1 min',
    'common.hours_minutes': '{h} h {m} min',
    'common.network_error': 'Cannot reach the server. Check the network and try again.',
    'common.priority': 'Priority',
    'common.booked': 'Booked',
    'common.counter': 'Counter {n}',
    'conn.live': 'Live',
    'conn.connecting': 'Connecting…',
    'conn.offline': 'Connection lost, retrying…',

    'status.waiting': 'Waiting',
    'status.called': 'Being called',
    'status.done': 'Served',
    'status.no_show': 'Absent when called',
    'status.expired': 'Expired',
    'counter.status.open': 'Open',
    'counter.status.paused': 'Paused',
    'counter.status.closed': 'Closed',

    'login.title': 'Sign in to the counter console',
    'login.username': 'Username',
    'login.password': 'Password',
    'login.submit': 'Sign in',
    'login.busy': 'Signing in…',

    'setup.title': 'Choose your counter',
    'setup.centre': 'Centre',
    'setup.counter': 'Counter',
    'setup.start': 'Start working',
    'setup.services': 'Services: {list}',

    'console.title': 'Counter console',
    'console.signed_in_as': 'Clerk: {name}',
    'console.change': 'Change counter',
    'console.signout': 'Sign out',
    'console.current': 'Now serving',
    'console.none': 'No ticket called',
    'console.none_hint': 'Press “Call next” (key N) to invite the next citizen.',
    'console.calls': 'Called {n} times',
    'console.next': 'Call next',
    'console.recall': 'Recall',
    'console.finish': 'Finish',
    'console.no_show': 'No-show',
    'console.transfer': 'Transfer',
    'console.pause': 'Pause',
    'console.resume': 'Resume',
    'console.open': 'Open counter',
    'console.shortcuts': 'Shortcuts: N next, R recall, F finish, V no-show, P pause/resume.',
    'console.queue': 'Waiting by service',
    'console.waiting_list': 'Waiting for this counter',
    'console.waiting_empty': 'No one is waiting.',
    'console.call_this': 'Call ticket {number}',
    'console.call': 'Call',
    'console.waited': 'waited {time}',
    'console.paused_banner': 'The counter is paused{reason}. Press “Resume” (key P) to call tickets.',
    'console.closed_banner': 'The counter is not open yet. Press “Call next” to start.',
    'console.nobody': 'No one is waiting.',
    'console.called': 'Called {number}.',
    'console.recalled': 'Recalled {number}.',
    'console.finished': 'Finished {number}.',
    'console.no_showed': 'Marked {number} as a no-show.',
    'console.transferred': 'Transferred {number} to {service}.',
    'console.paused': 'Counter paused.',
    'console.resumed': 'Counter resumed.',
    'console.service_col': 'Service',
    'console.waiting_col': 'Waiting',
    'console.eta_col': 'Estimate',
    'console.mine': 'served here',
    'dialog.transfer.title': 'Transfer {number} to another service',
    'dialog.transfer.service': 'New service',
    'dialog.transfer.submit': 'Transfer',
    'dialog.pause.title': 'Pause the counter',
    'dialog.pause.reason': 'Reason',
    'dialog.pause.submit': 'Pause',
    'dialog.call.title': 'Call {number} out of order',
    'dialog.call.reason': 'Reason (required, audited)',
    'dialog.call.submit': 'Call this ticket',
    'dialog.reason.other': 'Other reason…',
    'dialog.reason.detail': 'Describe the reason',
    'reason.pause.lunch': 'Lunch break',
    'reason.pause.meeting': 'Meeting',
    'reason.pause.break': 'Short break',
    'reason.pause.system': 'Equipment problem',
    'reason.call.priority': 'Priority citizen not marked as such',
    'reason.call.supplement': 'Agreed return with missing documents',
    'reason.call.returned': 'Citizen back after a no-show',
    'reason.call.mistake': 'Correcting a wrong call',

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

    'track.title': 'Track my ticket',
    'track.number': 'Your ticket',
    'track.status': 'Status',
    'track.position': 'People ahead of you',
    'track.eta': 'Estimated wait',
    'track.service': 'Service',
    'track.issued': 'Issued at',
    'track.go_to': 'Please go to {counter}',
    'track.ahead_none': 'You are next',
    'track.not_found': 'This ticket was not found.',
    'track.updated': 'Updated at {time}',
    'track.note': 'This page updates itself. Please be at the centre when about 3 people are ahead of you.',

    'weekday.0': 'Sunday',
    'weekday.1': 'Monday',
    'weekday.2': 'Tuesday',
    'weekday.3': 'Wednesday',
    'weekday.4': 'Thursday',
    'weekday.5': 'Friday',
    'weekday.6': 'Saturday',

    'book.title': 'Book an appointment online — Xếp Hàng',
    'book.heading': 'Book an appointment at a service centre',
    'book.intro': 'Choose when to come to the centre instead of waiting for a number.',
    'book.tab.book': 'New booking',
    'book.tab.lookup': 'Look up / change / cancel',
    'book.tabs': 'Sections',
    'book.step': 'Step {n} of {total}',
    'book.back': 'Back',
    'book.centre.title': 'Choose a centre',
    'book.centre.none': 'No centre takes bookings yet.',
    'book.service.title': 'Choose a service',
    'book.service.none': 'This centre does not take online bookings yet.',
    'book.date.title': 'Choose a day',
    'book.date.today': 'Today',
    'book.date.tomorrow': 'Tomorrow',
    'book.date.closed': 'Closed',
    'book.slot.title': 'Choose a time',
    'book.slot.left': '{n} left',
    'book.slot.full': 'Full',
    'book.slot.current': 'Current time',
    'book.slot.pick': 'Choose {time}, {n} places left',
    'book.slot.none': 'No free time is left on this day. Please choose another day.',
    'book.slot.closed': 'The centre is closed on this day. Please choose another day.',
    'book.slot.refreshed': 'The time you chose has just filled up. The list is updated: please choose another time.',
    'book.part.morning': 'Morning',
    'book.part.afternoon': 'Afternoon',
    'book.part.evening': 'Evening',
    'book.details.title': 'Who is coming',
    'book.id_number': 'Citizen ID (CCCD) number',
    'book.id_number.hint': 'The 12 digits printed on the ID card.',
    'book.name': 'Full name',
    'book.phone': 'Mobile phone',
    'book.phone.hint': '10 digits, e.g. 0912345678.',
    'book.privacy': 'Your personal data is used only for this appointment and erased after the retention period ({days} days after the appointment). The ID number is not stored as such.',
    'book.pow.working': 'Running the anti-robot check…',
    'book.pow.ready': 'Ready to send.',
    'book.pow.progress': 'Anti-robot check progress',
    'book.submit': 'Confirm the booking',
    'book.submitting': 'Sending…',
    'book.err.id_number': 'The ID number has exactly 12 digits.',
    'book.err.name': 'Please enter your full name (2 to 100 characters).',
    'book.err.phone': 'A mobile number has 10 digits and starts with 03, 05, 07, 08 or 09.',
    'book.err.fix': 'Please correct the marked fields.',
    'book.summary.centre': 'Centre',
    'book.summary.service': 'Service',
    'book.summary.date': 'Day',
    'book.summary.time': 'Time',
    'book.when': '{time}, {date}',
    'book.done.title': 'Your appointment is booked',
    'book.done.announce': 'Booked. Your booking code is {code}.',
    'book.done.code': 'Your booking code',
    'book.done.keep': 'Write this code down or download the confirmation. You need it to check in at the kiosk and to change or cancel the booking.',
    'book.done.bring': 'Please bring your citizen ID card (CCCD) and all the papers of the procedure. You can check in at the kiosk from {early} minutes before your time; more than {late} minutes late, you queue as a walk-in.',
    'book.done.papers': 'Papers to bring',
    'book.done.id_card': 'Citizen ID card (CCCD) or another identity paper',
    'book.pdf': 'Download the confirmation (PDF)',
    'book.ics': 'Add to calendar (ICS)',
    'book.again': 'Make another booking',
    'book.manage': 'Change or cancel this booking',
    'book.display': 'Calling displays',
    'book.staff': 'For staff',

    'lookup.title': 'Look up a booking',
    'lookup.code': 'Booking code',
    'lookup.code.hint': '8 characters, e.g. ABCD-EFGH.',
    'lookup.submit': 'Look up',
    'lookup.err.code': 'A booking code has 8 letters and digits.',
    'lookup.not_found': 'No booking has the code {code}. Please check the code.',
    'lookup.status': 'Status',
    'lookup.changes': 'Changes left',
    'lookup.changes_value': '{n} of {max}',
    'lookup.reschedule': 'Change the time',
    'lookup.cancel': 'Cancel the booking',
    'lookup.keep': 'Keep it',
    'lookup.cancel.title': 'Cancel this booking?',
    'lookup.cancel.confirm': 'Confirm cancellation',
    'lookup.verify.hint': 'Enter the ID number you booked with, to confirm.',
    'lookup.cancelled': 'Booking {code} is cancelled.',
    'lookup.resched.title': 'Move to another day or time',
    'lookup.resched.confirm': 'Confirm the change',
    'lookup.resched.pick': 'Please choose a new day and time.',
    'lookup.resched.chosen': 'New time: {when}',
    'lookup.rescheduled': 'Your booking is moved to {when}.',
    'lookup.no_changes': 'This booking cannot be changed any more. You can cancel it and book again.',
    'lookup.final': 'This booking can no longer be changed.',
    'booking.status.booked': 'Booked',
    'booking.status.cancelled': 'Cancelled',
    'booking.status.checked_in': 'Checked in',
    'booking.status.no_show': 'Did not come',
  },
};

const storageKey = 'xephang.lang';
export const languages = Object.keys(messages);

function stored() {
  try {
    return localStorage.getItem(storageKey);
  } catch {
    return null; // storage disabled: fall back to the default
  }
}

/** The current language: ?lang= in the address, the stored choice, or Vietnamese. */
export function lang() {
  const q = new URLSearchParams(location.search).get('lang');
  if (q && messages[q]) return q;
  const s = stored();
  return s && messages[s] ? s : 'vi';
}

/** Sets and remembers the language, re-translates the page and tells listeners. */
export function setLang(l) {
  if (!messages[l]) return;
  try {
    localStorage.setItem(storageKey, l);
  } catch {
    /* not remembered; still switched for this page */
  }
  const u = new URL(location.href);
  if (u.searchParams.has('lang')) {
    u.searchParams.set('lang', l);
    history.replaceState(null, '', u);
  }
  apply();
  document.dispatchEvent(new CustomEvent('langchange', { detail: l }));
}

/** The message of key in the current language, with {name} filled from params. */
export function t(key, params = {}) {
  const l = lang();
  let s = messages[l][key] ?? messages.vi[key];
  if (s === undefined) {
    console.warn('i18n: no message', key);
    return key;
  }
  return s.replace(/\{(\w+)\}/g, (m, k) => (k in params ? String(params[k]) : m));
}

/** Translates every marked element under root and sets <html lang>. */
export function apply(root = document) {
  document.documentElement.lang = lang();
  for (const el of root.querySelectorAll('[data-i18n]')) {
    el.textContent = t(el.dataset.i18n);
  }
  for (const el of root.querySelectorAll('[data-i18n-attr]')) {
    for (const pair of el.dataset.i18nAttr.split(';')) {
      const [attr, key] = pair.split(':').map((s) => s.trim());
      if (attr && key) el.setAttribute(attr, t(key));
    }
  }
}

/** Makes button a switch between Vietnamese and English. */
export function bindSwitch(button) {
  const render = () => {
    button.textContent = t('lang.switch');
    button.setAttribute('aria-label', t('lang.switch.label'));
    button.lang = lang() === 'vi' ? 'en' : 'vi';
  };
  button.addEventListener('click', () => setLang(lang() === 'vi' ? 'en' : 'vi'));
  document.addEventListener('langchange', render);
  render();
}

/** A service's name in the current language (the API gives name and name_en). */
export function serviceName(svc) {
  if (!svc) return '';
  return lang() === 'en' && svc.name_en ? svc.name_en : svc.name;
}

/** A duration in seconds, rounded up to minutes, as words. */
export function duration(seconds) {
  if (!(seconds > 0)) return t('common.under_minute');
  const m = Math.ceil(seconds / 60);
  if (m < 1) return t('common.under_minute');
  if (m < 60) return t('common.minutes', { n: m });
  return t('common.hours_minutes', { h: Math.floor(m / 60), m: m % 60 });
}

/** The locale for Intl formatting. */
export function locale() {
  return lang() === 'en' ? 'en-GB' : 'vi-VN';
}
